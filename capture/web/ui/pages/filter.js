// Filters: named blocks of fmadio's language (NAME:FIELD OP VALUES) and an expression over them,
// composed into the Filter= text, which the daemon's own parser checks as the operator types
// (/filter/check). An error is shown at its 1-based position: the offending token is marked in
// the text, the block it falls in is flagged. "Apply" stores the filter for every download.
import { ApiError, getJson, query } from "../lib/api.js";
import { appliedFilter, setAppliedFilter } from "../lib/applied_filter.js";
import { announce, h } from "../lib/dom.js";

const FIELDS = [
  ["Frame", ["frame.size", "frame.time"]],
  ["Ethernet", ["ether.addr", "ether.addr.src", "ether.addr.dst", "ether.proto", "vlan.id"]],
  ["IP", ["ipv4.addr", "ipv4.addr.src", "ipv4.addr.dst", "ipv6.addr", "ipv6.addr.src",
          "ipv6.addr.dst", "ip.proto", "ipv4.proto", "ipv6.proto"]],
  ["Transport", ["tcp.port", "tcp.port.src", "tcp.port.dst", "udp.port", "udp.port.src",
                 "udp.port.dst", "sctp.port", "icmp.type", "icmp.code"]],
  ["Tunnels", ["tunnel.type", "tunnel.id", "vxlan.vni", "geneve.vni"]],
  ["Inside tunnels", ["inner.ether.addr", "inner.ipv4.addr", "inner.ipv4.addr.src",
                      "inner.ipv4.addr.dst", "inner.ipv6.addr", "inner.ip.proto",
                      "inner.tcp.port", "inner.udp.port"]],
];
const OPS = ["==", "!=", "<", "<=", ">", ">="];
const CHECK_DELAY_MS = 250;

let setUp = false;
let blocks = [];  // {name, field, op, values}
let checkTimer = 0;
let checkSeq = 0;
let lastCheck = { filter: null, bpf: null };  // {text, ok}

export function show() {
  if (setUp) return;
  setUp = true;
  const applied = appliedFilter();
  document.getElementById("filter-text").value = applied.filter;
  document.getElementById("filter-bpf").value = applied.bpf;
  if (!applied.filter) {
    blocks = [{ name: "web", field: "tcp.port", op: "==", values: "80,443" }];
    document.getElementById("filter-expr").value = "";
    compose();
  }
  renderBlocks();
  document.getElementById("filter-add").addEventListener("click", () => {
    blocks.push({ name: nextName(), field: "ipv4.addr", op: "==", values: "" });
    renderBlocks();
    compose();
    document.querySelector("#filter-blocks tbody tr:last-child input").focus();
  });
  document.getElementById("filter-expr").addEventListener("input", compose);
  document.getElementById("filter-text").addEventListener("input", scheduleCheck);
  document.getElementById("filter-bpf").addEventListener("input", scheduleCheck);
  document.getElementById("filter-apply").addEventListener("click", apply);
  document.getElementById("filter-clear").addEventListener("click", () => {
    document.getElementById("filter-text").value = "";
    document.getElementById("filter-bpf").value = "";
    document.getElementById("filter-expr").value = "";
    blocks = [];
    renderBlocks();
    setAppliedFilter("", "");
    scheduleCheck();
    announce("Downloads are no longer filtered.");
  });
  scheduleCheck();
}

export function hide() {}

function nextName() {
  for (let i = 1; ; ++i) {
    const n = `b${i}`;
    if (!blocks.some((b) => b.name === n)) return n;
  }
}

function renderBlocks() {
  const body = document.querySelector("#filter-blocks tbody");
  body.replaceChildren(...blocks.map((b, i) => {
    const row = h("tr", { dataset: { index: i } });
    const name = h("input", { value: b.name, "aria-label": `Block ${i + 1} name`, spellcheck: "false", size: 10 });
    name.addEventListener("input", () => { b.name = name.value.trim(); compose(); });
    const field = h("select", { "aria-label": `Block ${i + 1} field` },
      FIELDS.map(([group, names]) => h("optgroup", { label: group },
        names.map((f) => h("option", { value: f, selected: f === b.field }, f)))));
    field.addEventListener("change", () => { b.field = field.value; compose(); });
    const op = h("select", { "aria-label": `Block ${i + 1} operator` },
      OPS.map((o) => h("option", { value: o, selected: o === b.op }, o)));
    op.addEventListener("change", () => { b.op = op.value; compose(); });
    const values = h("input", { value: b.values, "aria-label": `Block ${i + 1} values`, spellcheck: "false",
                                placeholder: "443 or 80,443 or 10.0.0.0/8" });
    values.addEventListener("input", () => { b.values = values.value.trim(); compose(); });
    const remove = h("button", { type: "button", "aria-label": `Remove block ${i + 1}` }, "Remove");
    remove.addEventListener("click", () => { blocks.splice(i, 1); renderBlocks(); compose(); });
    row.append(h("td", {}, name), h("td", {}, field), h("td", {}, op), h("td", {}, values), h("td", {}, remove));
    return row;
  }));
}

// Blocks + expression -> the Filter= text. Remembers where each block starts, so an error's
// position can be traced back to its row.
let spans = [];
function compose() {
  spans = [];
  const parts = [];
  let at = 0;
  for (let i = 0; i < blocks.length; ++i) {
    const b = blocks[i];
    const text = `${b.name}:${b.field}${b.op}${b.values}`;
    spans.push({ index: i, from: at + 1, to: at + text.length });
    parts.push(text);
    at += text.length + 1;
  }
  const expr = document.getElementById("filter-expr").value.trim();
  if (expr) {
    spans.push({ index: -1, from: at + 1 + "expr=".length, to: at + "expr=".length + expr.length });
    parts.push(`expr=${expr}`);
  }
  document.getElementById("filter-text").value = parts.join(";");
  scheduleCheck();
}

function scheduleCheck() {
  clearTimeout(checkTimer);
  for (const id of ["filter-result", "filter-bpf-result"]) {
    document.getElementById(id).className = "check-result pending";
  }
  checkTimer = setTimeout(checkAll, CHECK_DELAY_MS);
}

async function checkAll() {
  const seq = ++checkSeq;
  const text = document.getElementById("filter-text").value.trim();
  const bpf = document.getElementById("filter-bpf").value.trim();
  const [a, b] = await Promise.all([check("Filter", text), check("FilterBPF", bpf)]);
  if (seq !== checkSeq) return;  // the operator typed again meanwhile
  lastCheck = { filter: { text, ...a }, bpf: { text: bpf, ...b } };
  show_result("filter-result", "filter-marked", "filter-text", text, a, "Filter");
  show_result("filter-bpf-result", "filter-bpf-marked", "filter-bpf", bpf, b, "BPF");
  markBlocks(a);
}

// {ok, empty} or {ok:false, position, token, message}.
async function check(param, text) {
  if (!text) return { ok: true, empty: true };
  try {
    const r = await getJson("/filter/check" + query({ [param]: text }));
    return { ok: r.ok === true };
  } catch (e) {
    if (e instanceof ApiError && e.body && e.body.ok === false) {
      return { ok: false, position: Number(e.body.position || 0), token: e.body.token || "", message: e.body.message || e.message };
    }
    return { ok: false, position: 0, token: "", message: `cannot check: ${e.message}` };
  }
}

function show_result(resultId, markedId, inputId, text, r, label) {
  const result = document.getElementById(resultId);
  const marked = document.getElementById(markedId);
  const input = document.getElementById(inputId);
  input.setAttribute("aria-invalid", r.ok ? "false" : "true");
  if (r.ok) {
    result.className = "check-result ok";
    result.textContent = r.empty ? `No ${label} filter.` : `✓ Valid ${label} filter.`;
    marked.hidden = true;
    result.dataset.position = "";
    return;
  }
  result.className = "check-result bad";
  result.dataset.position = String(r.position || "");
  result.textContent = r.position ? `✗ Position ${r.position}: ${r.message}` : `✗ ${r.message}`;
  if (!r.position) {
    marked.hidden = true;
    return;
  }
  // Mark the token at its position (1-based); past the end, a caret after the text.
  const i = r.position - 1;
  let length = r.token && text.startsWith(r.token, i) ? r.token.length : 1;
  if (i >= text.length) length = 0;
  marked.replaceChildren(
    text.slice(0, i),
    length ? h("mark", {}, text.slice(i, i + length)) : h("span", { class: "caret-end", "aria-label": "end of text" }, " ⟵ here"),
    text.slice(i + length));
  marked.hidden = false;
}

// Flags the block (or the expression) the error position falls in.
function markBlocks(r) {
  const rows = document.querySelectorAll("#filter-blocks tbody tr");
  rows.forEach((row) => row.querySelectorAll("input, select").forEach((el) => el.setAttribute("aria-invalid", "false")));
  document.getElementById("filter-expr").setAttribute("aria-invalid", "false");
  if (r.ok || !r.position || document.getElementById("filter-text").value.trim() !== composedText()) return;
  const span = spans.find((s) => r.position >= s.from && r.position <= s.to + 1);
  if (!span) return;
  if (span.index < 0) {
    document.getElementById("filter-expr").setAttribute("aria-invalid", "true");
  } else if (rows[span.index]) {
    rows[span.index].querySelectorAll("input").forEach((el) => el.setAttribute("aria-invalid", "true"));
  }
}

function composedText() {
  const parts = blocks.map((b) => `${b.name}:${b.field}${b.op}${b.values}`);
  const expr = document.getElementById("filter-expr").value.trim();
  if (expr) parts.push(`expr=${expr}`);
  return parts.join(";");
}

async function apply() {
  clearTimeout(checkTimer);
  await checkAll();
  const { filter, bpf } = lastCheck;
  if (!filter.ok || !bpf.ok) {
    announce("Fix the filter first: the daemon refuses it.", "error");
    (filter.ok ? document.getElementById("filter-bpf") : document.getElementById("filter-text")).focus();
    return;
  }
  setAppliedFilter(filter.text, bpf.text);
  const what = [filter.text, bpf.text && `BPF ${bpf.text}`].filter(Boolean).join(" + ");
  announce(what ? `Downloads are filtered by ${what}.` : "Downloads are not filtered.", "ok");
}
