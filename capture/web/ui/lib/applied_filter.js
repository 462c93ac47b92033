// The filter the operator applied on the Filters page: it is added to PCAP downloads (Filter=
// and FilterBPF=, both optional; a packet must pass both). Kept in localStorage so a reload
// or a second tab keeps it; every change is announced with a "filterchange" event.

const KEY = "snapflow.appliedFilter";

export function appliedFilter() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || "{}");
    return { filter: v.filter || "", bpf: v.bpf || "" };
  } catch {
    return { filter: "", bpf: "" };
  }
}

export function setAppliedFilter(filter, bpf) {
  const v = { filter: (filter || "").trim(), bpf: (bpf || "").trim() };
  if (v.filter || v.bpf) {
    localStorage.setItem(KEY, JSON.stringify(v));
  } else {
    localStorage.removeItem(KEY);
  }
  window.dispatchEvent(new CustomEvent("filterchange", { detail: v }));
}

// The download parameters of the applied filter ({} when none).
export function filterParams() {
  const f = appliedFilter();
  const p = {};
  if (f.filter) p.Filter = f.filter;
  if (f.bpf) p.FilterBPF = f.bpf;
  return p;
}

export function describeFilter(f = appliedFilter()) {
  const parts = [];
  if (f.filter) parts.push(f.filter);
  if (f.bpf) parts.push(`BPF: ${f.bpf}`);
  return parts.join("  +  ");
}

window.addEventListener("storage", (e) => {
  if (e.key === KEY) window.dispatchEvent(new CustomEvent("filterchange", { detail: appliedFilter() }));
});
