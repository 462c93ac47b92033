// Captures (fmadio's Files page): /plain/list?format=json with a single-PCAP download per
// capture, and per capture (or for the whole ring) its split views: /plain/view lists the
// modes, /plain/split the rows, each with its own download link (/pcap/splittime). The applied
// filter (Filters page) is added to every download link.
import { ApiError, getJson, query } from "../lib/api.js";
import { filterParams, describeFilter } from "../lib/applied_filter.js";
import { h } from "../lib/dom.js";
import * as fmt from "../lib/format.js";

const ROWS_PER_PAGE = 500;  // split rows drawn at a time (a view may have 100 000)

let loaded = false;

export function show() {
  if (!loaded) {
    document.getElementById("files-refresh").addEventListener("click", load);
    const ringButton = document.getElementById("files-ring-splits");
    ringButton.addEventListener("click", () => toggleSplits(ringButton, document.getElementById("ring-splits"), ""));
    window.addEventListener("filterchange", load);
    loaded = true;
  }
  load();
}

export function hide() {}

function note(text, error = false) {
  const el = document.getElementById("files-note");
  el.textContent = text;
  el.classList.toggle("error", error);
}

// A download URL with the applied filter.
function withFilter(url) {
  const params = filterParams();
  if (!params.Filter && !params.FilterBPF) return url;
  const extra = query(params).slice(1);
  return url + (url.includes("?") ? "&" : "?") + extra;
}

function downloadLink(url, filename, label, describedBy) {
  return h("a", { href: withFilter(url), download: filename, class: "button", "aria-label": label,
                  "aria-describedby": describedBy }, "PCAP ⤓");
}

async function load() {
  note("Loading…");
  let list;
  try {
    list = await getJson("/plain/list?format=json");
  } catch (e) {
    note(`Cannot list the captures: ${e.message}`, true);
    return;
  }
  const body = document.querySelector("#captures tbody");
  const rows = [];
  for (const c of list.captures) {
    const id = `cap-${c.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const detail = h("tr", { class: "detail", id: `${id}-detail`, hidden: true },
      h("td", { colspan: 7 }, h("div", { class: "splits" })));
    const splitsButton = h("button", { type: "button", "aria-expanded": "false",
                                       "aria-controls": `${id}-detail` }, "Split views");
    splitsButton.addEventListener("click", () => toggleSplits(splitsButton, detail, c.name));
    rows.push(h("tr", { id, dataset: { name: c.name } },
      h("td", { class: "name" }, c.name, c.active ? h("span", { class: "active-tag" }, "  ● recording") : null),
      h("td", { class: "num packets" }, fmt.count(c.packets)),
      h("td", { class: "num", title: `${fmt.count(c.size_bytes)} bytes` }, fmt.bytes(c.size_bytes)),
      h("td", { class: "mono" }, fmt.shortTime(c.start_ns)),
      h("td", { class: "mono" }, c.active ? "recording" : fmt.shortTime(c.stop_ns)),
      h("td", {}, downloadLink(`/pcap/single${query({ StreamName: c.name })}`, `${c.name}.pcap`,
                               `Download the PCAP of ${c.name}`, "files-note")),
      h("td", {}, splitsButton)));
    rows.push(detail);
  }
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 7 }, "No named captures yet: start one with REC on the Status page.")));
  body.replaceChildren(...rows);
  const f = describeFilter();
  note(`${list.captures.length} capture${list.captures.length === 1 ? "" : "s"}` +
       (f ? ` · downloads filtered by ${f}` : ""));
}

// Opens or closes a capture's (stream "" = the whole ring's) split views.
async function toggleSplits(button, region, stream) {
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  region.hidden = !open;
  if (!open) return;
  const box = region.classList.contains("splits") ? region : region.querySelector(".splits");
  box.replaceChildren(h("p", { class: "sub" }, "Loading split views…"));
  let views;
  try {
    views = await getJson("/plain/view" + query({ StreamName: stream, format: "json" }));
  } catch (e) {
    const why = e instanceof ApiError && e.status === 404 && /endpoint/.test(e.message)
      ? "this daemon has no split views (/plain/view)" : e.message;
    box.replaceChildren(h("p", { class: "field-error" }, `Cannot list split views: ${why}`));
    return;
  }
  const label = stream ? `Split view of ${stream}` : "Split view of the whole ring";
  const select = h("select", { "aria-label": label },
    views.views.map((v) => h("option", { value: v.split_mode }, v.split_mode)));
  const table = h("div", { class: "split-rows" });
  const showButton = h("button", { type: "button" }, "Show splits");
  const run = () => showSplits(table, stream, select.value);
  showButton.addEventListener("click", run);
  select.addEventListener("change", run);
  box.replaceChildren(h("div", { class: "toolbar" }, h("label", { class: "inline" }, "View ", select), showButton), table);
  run();
}

async function showSplits(container, stream, mode) {
  container.replaceChildren(h("p", { class: "sub" }, `Loading ${mode}…`));
  let t;
  try {
    t = await getJson("/plain/split" + query({ StreamName: stream, StreamView: mode, format: "json" }));
  } catch (e) {
    container.replaceChildren(h("p", { class: "field-error" }, `Cannot compute ${mode}: ${e.message}`));
    return;
  }
  const summary = h("p", { class: "sub" },
    `${fmt.count(t.splits.length)} splits · ${fmt.count(t.packets)} packets · ${fmt.bytes(t.size_bytes)}`);
  const body = h("tbody");
  const table = h("table", { class: "data", dataset: { mode } },
    h("caption", { class: "visually-hidden" }, `${mode} of ${stream || "the ring"}`),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Split"), h("th", { scope: "col" }, "Start (UTC)"),
      h("th", { scope: "col" }, "Stop (UTC)"), h("th", { scope: "col", class: "num" }, "Packets"),
      h("th", { scope: "col", class: "num" }, "Size"), h("th", { scope: "col" }, "Download"))),
    body);
  const more = h("button", { type: "button" }, "Show more");
  let shown = 0;
  const addRows = () => {
    const next = t.splits.slice(shown, shown + ROWS_PER_PAGE);
    body.append(...next.map((s) => h("tr", { dataset: { name: s.name } },
      h("td", { class: "name" }, s.name),
      h("td", { class: "mono" }, fmt.shortTime(s.start_ns)),
      h("td", { class: "mono" }, fmt.shortTime(s.stop_ns)),
      h("td", { class: "num packets" }, fmt.count(s.packets)),
      h("td", { class: "num", title: `${fmt.count(s.size_bytes)} bytes` }, fmt.bytes(s.size_bytes)),
      h("td", {}, downloadLink(s.url, `${s.name}.pcap`, `Download the PCAP of split ${s.name}`)))));
    shown += next.length;
    more.hidden = shown >= t.splits.length;
    more.textContent = `Show more (${fmt.count(t.splits.length - shown)} left)`;
  };
  more.addEventListener("click", addRows);
  addRows();
  container.replaceChildren(summary, table, more);
}
