// Ring bandwidth: bits/s and packets/s of the data in the ring, from the ring's time index
// (/ring/bandwidth), over any range from the whole ring down to microseconds. Every zoom or pan
// asks the daemon again for the visible range, at one point per pixel by default. Dragging on
// the chart selects a window; its PCAP downloads from /pcap/splittime, with the applied filter
// if wanted. Times that go back to the daemon are BigInt epoch nanoseconds.
import { ApiError, getText, query } from "../lib/api.js";
import { appliedFilter, describeFilter, filterParams } from "../lib/applied_filter.js";
import { setText } from "../lib/dom.js";
import * as fmt from "../lib/format.js";
import { chartWidth, rateChartOptions } from "../lib/rate_chart.js";

const HEIGHT = 380;
const MIN_SPAN_NS = 1000n;  // 1 µs: below that a window holds at most a few packets
const FOLLOW_MS = 2000;

let setUp = false;
let chart = null;
let extent = null;      // {oldest, newest} BigInt ns, from the last answer
let view = null;        // {start, stop} BigInt ns, stop exclusive
let selection = null;   // {start, stop} BigInt ns
let lastAnswer = null;  // {points, step, data}
let inflight = null;
let followTimer = 0;
let visible = false;

export function show() {
  visible = true;
  if (!setUp) setup();
  refreshFilterText();
  if (!view) load(null);
  else if (chart) chart.setSize({ width: chartWidth(container()), height: HEIGHT });
  if (document.getElementById("ring-follow").checked) startFollowing();
}

export function hide() {
  visible = false;
  clearInterval(followTimer);
}

const container = () => document.getElementById("ring-chart");

function note(text, error = false) {
  const el = document.getElementById("ring-note");
  el.textContent = text;
  el.classList.toggle("error", error);
}

function setup() {
  setUp = true;
  const on = (id, f) => document.getElementById(id).addEventListener("click", f);
  on("ring-all", () => load(null));
  on("ring-out", () => zoom(2));
  on("ring-in", () => zoom(0.5));
  on("ring-left", () => pan(-0.5));
  on("ring-right", () => pan(0.5));
  on("ring-zoom-sel", zoomToSelection);
  document.getElementById("ring-points").addEventListener("change", () => load(view));
  document.getElementById("ring-follow").addEventListener("change", (e) => {
    if (e.target.checked) startFollowing();
    else clearInterval(followTimer);
  });
  document.getElementById("ring-use-filter").addEventListener("change", updateDownload);
  document.getElementById("ring-range").addEventListener("submit", onRangeSubmit);
  document.getElementById("ring-selection").addEventListener("submit", onSelectionSubmit);
  document.getElementById("ring-download").addEventListener("click", (e) => {
    if (!selection) e.preventDefault();
  });
  container().addEventListener("keydown", onKey);
  window.addEventListener("filterchange", () => {
    refreshFilterText();
    updateDownload();
  });
  window.addEventListener("themechange", () => {
    if (chart) {
      chart.destroy();
      chart = null;
      if (lastAnswer) draw(lastAnswer.data);
    }
  });
  window.addEventListener("resize", () => {
    if (chart && visible) chart.setSize({ width: chartWidth(container()), height: HEIGHT });
  });
}

function refreshFilterText() {
  const f = describeFilter(appliedFilter());
  setText("ring-filter-text", f || "(none applied)");
  document.getElementById("ring-use-filter").disabled = !f;
}

function pointsWanted() {
  const v = document.getElementById("ring-points").value;
  if (v !== "auto") return Number(v);
  return Math.min(100000, Math.max(100, Math.round(chartWidth(container()) * (window.devicePixelRatio || 1))));
}

// Reads the integers that must stay exact (epoch ns) from the answer's text; the points are
// parsed as Numbers (they are only drawn).
function exactField(text, key) {
  const m = new RegExp(`"${key}"\\s*:\\s*(-?\\d+)`).exec(text);
  return m ? BigInt(m[1]) : null;
}

// Loads the range r ({start, stop} BigInt ns), or the whole ring when r is null.
async function load(r) {
  if (inflight) inflight.abort();
  const controller = new AbortController();
  inflight = controller;
  const points = pointsWanted();
  const params = { Points: points };
  if (r) {
    params.Start = r.start.toString();
    params.Stop = r.stop.toString();
  }
  const t0 = performance.now();
  let text;
  try {
    ({ text } = await getText("/ring/bandwidth" + query(params), { signal: controller.signal }));
  } catch (e) {
    if (e.name === "AbortError") return;
    if (e instanceof ApiError && e.status === 404 && /endpoint/.test(e.message)) {
      note("This daemon has no /ring/bandwidth endpoint.", true);
    } else {
      note(`Cannot read the ring's bandwidth: ${e.message}`, true);
    }
    return;
  } finally {
    if (inflight === controller) inflight = null;
  }
  const t1 = performance.now();
  const answer = JSON.parse(text);
  const oldest = exactField(text, "oldest_ns");
  const newest = exactField(text, "newest_ns");
  const start = exactField(text, "start_ns");
  const stop = exactField(text, "stop_ns");
  const step = exactField(text, "step_ns");
  if (!oldest && !newest) {
    extent = null;
    note("The ring holds no packets yet.");
    draw([[], [], []]);
    return;
  }
  extent = { oldest, newest };
  view = { start, stop };
  const stepSeconds = Number(step) / 1e9;
  const n = answer.points.length;
  const xs = new Float64Array(n);
  const bitsPerS = new Float64Array(n);
  const pps = new Float64Array(n);
  for (let i = 0; i < n; ++i) {
    const p = answer.points[i];
    xs[i] = p[0] / 1e9;
    pps[i] = p[1] / stepSeconds;
    bitsPerS[i] = (p[2] * 8) / stepSeconds;
  }
  const data = [xs, bitsPerS, pps];
  lastAnswer = { points: answer.points, step, data };
  const t2 = performance.now();
  draw(data);
  const t3 = performance.now();
  note("");
  showRange();
  showMeta(n, step, t1 - t0, t2 - t1, t3 - t2);
  restoreSelection();
}

function showMeta(n, step, fetchMs, parseMs, drawMs) {
  const el = document.getElementById("ring-meta");
  el.textContent = `${fmt.count(n)} points · ${fmt.span(step)} each · ` +
    `query ${fetchMs.toFixed(0)} ms, parse ${parseMs.toFixed(0)} ms, draw ${drawMs.toFixed(0)} ms · ` +
    `ring ${fmt.shortTime(extent.oldest)} → ${fmt.shortTime(extent.newest)} UTC`;
  el.dataset.points = String(n);
  el.dataset.view = `${view.start}-${view.stop}`;  // what is drawn (tests wait for it)
  el.dataset.fetchMs = fetchMs.toFixed(1);
  el.dataset.totalMs = (fetchMs + parseMs + drawMs).toFixed(1);
}

function draw(data) {
  if (typeof uPlot === "undefined") {
    note("The chart library did not load.", true);
    return;
  }
  if (!chart) {
    const options = rateChartOptions({ width: chartWidth(container()), height: HEIGHT, stepped: true, select: true });
    options.hooks = { setSelect: [onSelect] };
    chart = new uPlot(options, data, container());
  } else {
    chart.setData(data);
  }
  if (view) chart.setScale("x", { min: fmt.nsToSeconds(view.start), max: fmt.nsToSeconds(view.stop) });
}

function showRange() {
  document.getElementById("ring-view-start").value = fmt.rfc3339(view.start);
  document.getElementById("ring-view-stop").value = fmt.rfc3339(view.stop);
}

// The range r clipped to the ring (newest is inclusive, so the range ends one ns after it).
function clamp(r) {
  if (!extent) return r;
  const lo = extent.oldest;
  const hi = extent.newest + 1n;
  let width = r.stop - r.start;
  if (width < MIN_SPAN_NS) width = MIN_SPAN_NS;
  if (width > hi - lo) return { start: lo, stop: hi };
  let start = r.start < lo ? lo : r.start;
  if (start + width > hi) start = hi - width;
  return { start, stop: start + width };
}

function zoom(factor) {
  if (!view) return;
  const width = view.stop - view.start;
  const centre = selection ? (selection.start + selection.stop) / 2n : view.start + width / 2n;
  const newWidth = BigInt(Math.max(Number(MIN_SPAN_NS), Math.round(Number(width) * factor)));
  load(clamp({ start: centre - newWidth / 2n, stop: centre - newWidth / 2n + newWidth }));
}

function pan(fraction) {
  if (!view) return;
  const width = view.stop - view.start;
  const shift = BigInt(Math.round(Number(width) * fraction));
  load(clamp({ start: view.start + shift, stop: view.stop + shift }));
}

function zoomToSelection() {
  if (!selection) return;
  load(clamp(selection));
}

function startFollowing() {
  clearInterval(followTimer);
  followTimer = setInterval(() => {
    if (!visible || !view || document.hidden) return;
    const width = view.stop - view.start;
    // Ask for the range ending now; the answer's newest_ns clips it to the data.
    const now = BigInt(Date.now()) * 1000000n;
    load({ start: now - width, stop: now });
  }, FOLLOW_MS);
}

function onKey(e) {
  const keys = { ArrowLeft: () => pan(-0.25), ArrowRight: () => pan(0.25), "+": () => zoom(0.5),
                 "=": () => zoom(0.5), "-": () => zoom(2), "0": () => load(null), Home: () => load(null),
                 Enter: zoomToSelection };
  const f = keys[e.key];
  if (f) {
    e.preventDefault();
    f();
  }
}

function onSelect(u) {
  if (u.select.width < 2) return;
  const a = fmt.secondsToNs(u.posToVal(u.select.left, "x"));
  const b = fmt.secondsToNs(u.posToVal(u.select.left + u.select.width, "x"));
  setSelection({ start: a, stop: b }, false);
}

function setSelection(sel, drawBox) {
  selection = sel;
  document.getElementById("ring-sel-start").value = fmt.rfc3339(sel.start);
  document.getElementById("ring-sel-stop").value = fmt.rfc3339(sel.stop);
  setText("ring-sel-error", "");
  if (drawBox) restoreSelection();
  updateDownload();
  summarise();
}

// Draws the selection box again after the data or scale changed.
function restoreSelection() {
  if (!chart || !selection || !view) return;
  const left = chart.valToPos(fmt.nsToSeconds(selection.start), "x");
  const right = chart.valToPos(fmt.nsToSeconds(selection.stop), "x");
  const l = Math.max(0, left);
  const r = Math.min(chart.bbox.width / (window.devicePixelRatio || 1), right);
  if (r <= l) {
    chart.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    return;
  }
  chart.setSelect({ left: l, width: r - l, top: 0, height: chart.over.clientHeight }, false);
}

// Packets and bytes of the selection as the chart's bins see them (the PCAP is exact).
function summarise() {
  if (!selection || !lastAnswer) return;
  let packets = 0;
  let bytes = 0;
  const step = Number(lastAnswer.step);
  const a = Number(selection.start);
  const b = Number(selection.stop);
  for (const [t, p, by] of lastAnswer.points) {
    const overlap = Math.min(b, t + step) - Math.max(a, t);
    if (overlap <= 0) continue;
    const f = Math.min(1, overlap / step);
    packets += p * f;
    bytes += by * f;
  }
  setText("ring-sel-summary", `${fmt.span(selection.stop - selection.start)} selected · about ` +
    `${fmt.count(Math.round(packets))} packets, ${fmt.bytes(bytes)} (from the chart's ${fmt.span(lastAnswer.step)} bins)`);
}

function updateDownload() {
  const link = document.getElementById("ring-download");
  if (!selection) {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    return;
  }
  const params = { Start: selection.start.toString(), Stop: selection.stop.toString() };
  if (document.getElementById("ring-use-filter").checked) Object.assign(params, filterParams());
  link.href = "/pcap/splittime" + query(params);
  link.download = `ring_${fmt.rfc3339(selection.start).replace(/[:.]/g, "")}.pcap`;
  link.removeAttribute("aria-disabled");
  link.removeAttribute("role");
}

function readRange(startId, stopId) {
  const start = fmt.parseTime(document.getElementById(startId).value);
  const stop = fmt.parseTime(document.getElementById(stopId).value);
  if (stop <= start) throw new Error("the stop must be after the start");
  return { start, stop };
}

function onRangeSubmit(e) {
  e.preventDefault();
  try {
    load(clamp(readRange("ring-view-start", "ring-view-stop")));
    setText("ring-sel-error", "");
  } catch (err) {
    setText("ring-sel-error", `Shown range: ${err.message}`);
  }
}

function onSelectionSubmit(e) {
  e.preventDefault();
  try {
    setSelection(readRange("ring-sel-start", "ring-sel-stop"), true);
  } catch (err) {
    setText("ring-sel-error", `Selected window: ${err.message}`);
    for (const id of ["ring-sel-start", "ring-sel-stop"]) document.getElementById(id).setAttribute("aria-invalid", "true");
    return;
  }
  for (const id of ["ring-sel-start", "ring-sel-stop"]) document.getElementById(id).setAttribute("aria-invalid", "false");
}
