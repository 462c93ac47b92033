// Status: live counters from /sysmaster/status?format=json, polled once a second while the page
// is visible (every 5 s on other pages, for the REC badge in the header; not at all while the
// tab is hidden). REC/STOP are POSTs with the CSRF token. The ring's oldest/newest times come
// from /ring/bandwidth (one point over the whole ring) every 10 s; each ring consumer's lag from
// the status's "consumers".
import { ApiError, getJson, postJson, query } from "../lib/api.js";
import { announce, h, setText } from "../lib/dom.js";
import * as fmt from "../lib/format.js";
import { chartWidth, rateChartOptions } from "../lib/rate_chart.js";

const VISIBLE_POLL_MS = 1000;
const BACKGROUND_POLL_MS = 5000;
const EXTENT_POLL_MS = 10000;
const HISTORY = 300;  // samples in the live chart (5 minutes at 1 s)

let visible = false;
let timer = 0;
let last = null;
let extentAt = 0;
let extentAvailable = true;
let chart = null;
const history = [[], [], []];  // seconds, bits/s, packets/s

export function watchRecording() {
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) schedule(0);
  });
  document.getElementById("rec-form").addEventListener("submit", onRec);
  document.getElementById("rec-stop").addEventListener("click", onStop);
  document.getElementById("rec-name").addEventListener("input", validateName);
  window.addEventListener("themechange", () => {
    if (chart) {
      chart.destroy();
      chart = null;
      drawChart();
    }
  });
  window.addEventListener("resize", () => {
    if (chart && visible) chart.setSize({ width: chartWidth(chart.root.parentElement), height: 200 });
  });
  schedule(0);
}

export function show() {
  visible = true;
  if (!document.getElementById("rec-name").value) {
    document.getElementById("rec-name").value = defaultName();
  }
  validateName();
  if (last) render(last);
  schedule(0);
}

export function hide() {
  visible = false;
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(poll, delay);
}

async function poll() {
  if (document.hidden) return;  // resumed by visibilitychange
  try {
    const s = await getJson("/sysmaster/status?format=json");
    last = s;
    record(s);
    if (visible) {
      render(s);
      if (extentAvailable && Date.now() - extentAt > EXTENT_POLL_MS) await ringExtent();
    }
    renderBadge(s);
    setNote("");
  } catch (e) {
    setNote(`Cannot read the daemon's status: ${e.message}`, true);
  }
  schedule(visible ? VISIBLE_POLL_MS : BACKGROUND_POLL_MS);
}

function setNote(text, error = false) {
  const el = document.getElementById("status-note");
  el.textContent = text;
  el.classList.toggle("error", error);
}

function record(s) {
  const t = Date.now() / 1000;
  history[0].push(t);
  history[1].push(Number(s.capture_bps));
  history[2].push(Number(s.capture_pps));
  if (history[0].length > HISTORY) for (const a of history) a.shift();
  if (visible) drawChart();
}

function drawChart() {
  const el = document.getElementById("status-chart");
  if (typeof uPlot === "undefined" || el.offsetParent === null) return;
  if (!chart) {
    chart = new uPlot(rateChartOptions({ width: chartWidth(el), height: 200 }), history, el);
  } else {
    chart.setData(history);
  }
}

function renderBadge(s) {
  const badge = document.getElementById("rec-badge");
  badge.hidden = !s.capture_active;
  setText("rec-badge-text", s.capture_active ? `REC ${s.capture_name}` : "");
}

function render(s) {
  const up = s.capture_link === "up";
  setText("s-link", up ? "UP" : "DOWN");
  document.getElementById("s-link").className = `big ${up ? "ok" : "bad"}`;
  setText("s-link-speed", Number(s.capture_link_speed) > 0 ? fmt.bits(s.capture_link_speed) : "speed unknown");
  setText("s-bps", fmt.bits(s.capture_bps));
  setText("s-pps", fmt.rate(s.capture_pps));
  setText("s-packets-captured", fmt.count(s.packets_captured));
  setText("s-bytes-captured", fmt.bytes(s.bytes_captured));
  setText("s-packets-received", fmt.count(s.packets_received));
  setText("s-drops", fmt.count(s.packets_dropped));
  document.getElementById("s-drops").className = `big ${Number(s.packets_dropped) > 0 ? "bad" : "ok"}`;
  setText("s-errors", fmt.count(s.packets_errors));
  setText("s-pending", fmt.bytes(s.bytes_pending));
  setText("s-uptime", fmt.duration(s.uptime));
  setText("s-updated", `updated ${new Date().toISOString().slice(11, 19)} UTC`);
  renderRing(s);
  renderCapture(s);
  renderConsumers(s.consumers);
}

// Ring fill needs the ring's size; the status says it as ring_bytes when the daemon reports it.
function renderRing(s) {
  const capacity = Number(s.ring_bytes || s.ring_capacity_bytes || 0);
  const meter = document.getElementById("s-ring-meter");
  if (capacity > 0) {
    const fill = Number(s.bytes_disk) / capacity;
    setText("s-ring-fill", `${(fill * 100).toFixed(1)} %`);
    meter.hidden = false;
    meter.value = Math.min(1, fill);
    meter.textContent = `${(fill * 100).toFixed(1)} %`;
  } else {
    setText("s-ring-fill", fmt.bytes(s.bytes_disk));
    meter.hidden = true;
  }
}

async function ringExtent() {
  extentAt = Date.now();
  try {
    const r = await getJson("/ring/bandwidth" + query({ Points: 1 }));
    if (!r.oldest_ns) {
      setText("s-ring-span", "ring empty");
      return;
    }
    const spanNs = BigInt(r.newest_ns) - BigInt(r.oldest_ns);
    setText("s-ring-span", `${fmt.span(spanNs)} of data: ${fmt.shortTime(r.oldest_ns)} → ${fmt.shortTime(r.newest_ns)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) extentAvailable = false;  // daemon without it
    else setText("s-ring-span", `oldest/newest unavailable: ${e.message}`);
  }
}

function renderCapture(s) {
  const state = document.getElementById("s-capture");
  if (s.capture_active) {
    state.textContent = `● Recording “${s.capture_name}”`;
    state.className = "capture-state bad";
  } else {
    state.textContent = s.capture_name ? `Stopped (last: “${s.capture_name}”)` : "No named capture running";
    state.className = "capture-state";
  }
  document.getElementById("rec-stop").disabled = !s.capture_active;
  document.getElementById("rec-start").disabled = !!s.capture_active || validateName() !== "";
}

function renderConsumers(consumers) {
  const panel = document.getElementById("consumers-panel");
  if (!Array.isArray(consumers)) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const body = document.querySelector("#consumers tbody");
  // {"name","lag_packets","lag_bytes","lag_seconds"} per ring consumer (pcap2json cursors).
  const cell = (v, f) => h("td", { class: "num" }, v === undefined ? "—" : f(v));
  body.replaceChildren(...consumers.map((c) => h("tr", { dataset: { name: c.name } },
    h("td", { class: "name" }, c.name),
    cell(c.lag_packets, fmt.count),
    cell(c.lag_bytes, fmt.bytes),
    cell(c.lag_seconds, (v) => fmt.span(BigInt(Math.round(Number(v) * 1e9)))))));
  if (consumers.length === 0) body.append(h("tr", {}, h("td", { colspan: 4 }, "no consumers registered")));
}

function defaultName() {
  const d = new Date().toISOString();
  return `capture-${d.slice(0, 10).replaceAll("-", "")}-${d.slice(11, 19).replaceAll(":", "")}`;
}

function validateName() {
  const input = document.getElementById("rec-name");
  const problem = fmt.streamNameProblem(input.value);
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  setText("rec-name-error", problem);
  document.getElementById("rec-start").disabled = !!problem || !!(last && last.capture_active);
  return problem;
}

async function onRec(event) {
  event.preventDefault();
  if (validateName()) {
    document.getElementById("rec-name").focus();
    return;
  }
  const name = document.getElementById("rec-name").value;
  try {
    const r = await postJson("/sysmaster/capture_start" + query({ StreamName: name }));
    announce(r.Str, "ok");
  } catch (e) {
    announce(`REC refused: ${e.message}`, "error");
  }
  schedule(0);
}

async function onStop() {
  try {
    const r = await postJson("/sysmaster/capture_stop");
    announce(r.Str, "ok");
    document.getElementById("rec-name").value = defaultName();
  } catch (e) {
    announce(`STOP refused: ${e.message}`, "error");
  }
  schedule(0);
}
