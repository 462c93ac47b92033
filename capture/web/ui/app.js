// The UI's entry point: one page per #hash (so the browser's Basic-auth login happens once),
// the theme switch, and the header badges (recording, applied filter). Each page module
// exports show()/hide(); only the visible page polls or draws.
import * as status from "./pages/status.js";
import * as files from "./pages/files.js";
import * as ring from "./pages/ring.js";
import * as filter from "./pages/filter.js";
import { appliedFilter, describeFilter, setAppliedFilter } from "./lib/applied_filter.js";

const pages = { status, files, ring, filter };
let current = null;

function route() {
  const name = (location.hash || "#status").slice(1).split("?")[0];
  const next = pages[name] ? name : "status";
  if (next === current) return;
  if (current) {
    pages[current].hide();
    document.getElementById(`page-${current}`).hidden = true;
  }
  current = next;
  document.getElementById(`page-${next}`).hidden = false;
  for (const a of document.querySelectorAll("nav a[data-page]")) {
    if (a.dataset.page === next) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${document.querySelector(`nav a[data-page="${next}"]`).textContent} · snapflow capture`;
  pages[next].show();
}

// Theme: auto (the system's), dark or light; remembered per browser.
const THEMES = ["auto", "dark", "light"];
function applyTheme(theme) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  document.getElementById("theme-toggle").textContent = `Theme: ${theme}`;
  window.dispatchEvent(new Event("themechange"));
}

function setupTheme() {
  const saved = localStorage.getItem("snapflow.theme");
  let theme = THEMES.includes(saved) ? saved : "auto";
  applyTheme(theme);
  document.getElementById("theme-toggle").addEventListener("click", () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    localStorage.setItem("snapflow.theme", theme);
    applyTheme(theme);
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (theme === "auto") window.dispatchEvent(new Event("themechange"));
  });
}

function showFilterBadge() {
  const f = appliedFilter();
  const badge = document.getElementById("filter-badge");
  badge.hidden = !(f.filter || f.bpf);
  document.getElementById("filter-badge-text").textContent = describeFilter(f);
}

setupTheme();
showFilterBadge();
window.addEventListener("filterchange", showFilterBadge);
document.getElementById("filter-badge-clear").addEventListener("click", () => setAppliedFilter("", ""));
window.addEventListener("hashchange", route);
status.watchRecording();
route();
