// uPlot options shared by the status page's live chart and the ring bandwidth chart: time on
// x, bits/s on the left axis, packets/s on the right, colours from the current theme.
import * as fmt from "./format.js";
import { themeColour } from "./dom.js";

export function rateChartOptions({ width, height, stepped = false, select = false, title }) {
  const muted = themeColour("--muted");
  const grid = themeColour("--line");
  const bitsColour = themeColour("--series-bits");
  const packetsColour = themeColour("--series-packets");
  const axis = (scale, side, values) => ({
    scale,
    side,
    stroke: muted,
    grid: { stroke: grid, width: 1, show: side === 3 },
    ticks: { stroke: grid, width: 1 },
    values,
    size: 80,
    font: "13px system-ui, sans-serif",
  });
  const paths = stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  return {
    title,
    width,
    height,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    cursor: {
      drag: { x: select, y: false, setScale: false },
      points: { size: 6 },
    },
    select: { show: select },
    legend: { show: true, live: true },
    scales: { x: { time: true }, bits: { auto: true, range: (u, min, max) => [0, Math.max(max, 1)] },
              packets: { auto: true, range: (u, min, max) => [0, Math.max(max, 1)] } },
    axes: [
      { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 },
        font: "13px system-ui, sans-serif", space: 90, size: 52, values: timeTicks },
      axis("bits", 3, (u, vals) => vals.map((v) => fmt.bits(v))),
      axis("packets", 1, (u, vals) => vals.map((v) => fmt.rate(v, "p/s"))),
    ],
    series: [
      { label: "time (UTC)", value: (u, v) => (v == null ? "—" : fmt.rfc3339(fmt.secondsToNs(v)).slice(0, 26).replace("T", " ")) },
      { label: "bits/s", scale: "bits", stroke: bitsColour, width: 2, paths,
        fill: bitsColour + "22", value: (u, v) => (v == null ? "—" : fmt.bits(v)), points: { show: false } },
      { label: "packets/s", scale: "packets", stroke: packetsColour, width: 1.5, paths,
        value: (u, v) => (v == null ? "—" : fmt.rate(v)), points: { show: false } },
    ],
  };
}

// Tick labels in UTC, 24 h, as precise as the tick spacing needs (down to microseconds); the
// first tick also says the date.
function timeTicks(u, splits, axisIdx, space, increment) {
  return splits.map((v, i) => {
    const t = fmt.rfc3339(fmt.secondsToNs(v));  // 2026-11-23T10:15:00.123456789Z
    const date = t.slice(0, 10);
    let clock = t.slice(11, 19);
    if (increment < 1e-3) clock = t.slice(17, 26);       // ss.uuuuuu
    else if (increment < 1) clock = t.slice(11, 23);      // hh:mm:ss.mmm
    else if (increment >= 86400) clock = "";
    if (i === 0 || increment >= 86400) return clock ? `${clock}\n${date}` : date;
    return clock;
  });
}

// The width a chart can have in its container (uPlot draws at a fixed size).
export function chartWidth(el) {
  return Math.max(320, Math.floor(el.clientWidth - 16));
}
