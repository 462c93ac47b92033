// Numbers and times as an operator reads them. Times are epoch nanoseconds as BigInt wherever
// they go back to the server (a double cannot hold them exactly); Numbers only for drawing.

const NS_PER_S = 1000000000n;

function scaled(value, units, base) {
  let v = Number(value);
  let i = 0;
  while (Math.abs(v) >= base && i < units.length - 1) {
    v /= base;
    ++i;
  }
  const digits = i === 0 || Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${units[i]}`;
}

export const bits = (bps) => scaled(bps, ["b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s"], 1000);
export const rate = (pps, unit = "pkt/s") =>
  scaled(pps, [unit, "k" + unit, "M" + unit, "G" + unit], 1000);
export const bytes = (n) => scaled(n, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"], 1024);

// 1234567 -> "1,234,567": the exact count, grouped.
export const count = (n) => (typeof n === "bigint" ? n : BigInt(Math.round(Number(n)))).toLocaleString("en-US");

export function duration(seconds) {
  let s = Math.max(0, Math.floor(Number(seconds)));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

// Duration of a nanosecond span, with the unit that keeps 3 significant digits.
export function span(ns) {
  const v = Number(ns);
  if (v >= 86400e9) return `${(v / 86400e9).toFixed(1)} d`;
  if (v >= 3600e9) return `${(v / 3600e9).toFixed(1)} h`;
  if (v >= 60e9) return `${(v / 60e9).toFixed(1)} min`;
  if (v >= 1e9) return `${(v / 1e9).toPrecision(3)} s`;
  if (v >= 1e6) return `${(v / 1e6).toPrecision(3)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toPrecision(3)} µs`;
  return `${v} ns`;
}

// Epoch ns (BigInt) -> "2026-11-23T10:15:00.123456789Z" (UTC, every digit).
export function rfc3339(ns) {
  ns = BigInt(ns);
  let seconds = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    seconds -= 1n;
  }
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${iso}.${frac.toString().padStart(9, "0")}Z`;
}

// Short UTC form for tables: "2026-11-23 10:15:00.123".
export function shortTime(ns) {
  if (ns === 0n || ns === 0) return "—";
  return rfc3339(ns).replace("T", " ").slice(0, 23);
}

// Parses what an operator types for a time: epoch ns (digits, optional "ULL"), or RFC 3339
// with 0-9 fraction digits and Z or an offset. Returns BigInt ns or throws an Error saying why.
export function parseTime(text) {
  const t = text.trim();
  let m = /^(\d{1,19})(ULL)?$/.exec(t);
  if (m) return BigInt(m[1]);
  m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) throw new Error("use epoch nanoseconds or RFC 3339, e.g. 2026-11-23T10:15:00.25Z");
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4]}`);
  if (Number.isNaN(ms)) throw new Error(`not a valid date: ${t}`);
  const frac = BigInt((m[3] || "").padEnd(9, "0"));
  return BigInt(ms) * 1000000n + frac;
}

// Seconds as a double (uPlot's time axis) -> epoch ns. The integer seconds are exact; the
// fraction keeps what the double holds (about 0.25 µs at today's epoch).
export function secondsToNs(seconds) {
  const whole = Math.floor(seconds);
  return BigInt(whole) * NS_PER_S + BigInt(Math.round((seconds - whole) * 1e9));
}

export const nsToSeconds = (ns) => Number(BigInt(ns) / 1000n) / 1e6;

export const STREAM_NAME = /^(?!\.)[A-Za-z0-9._-]{1,64}$/;

// Why a capture name is refused (the API's rule), or "" when it is fine.
export function streamNameProblem(name) {
  if (name === "") return "enter a name";
  if (name.length > 64) return "at most 64 characters";
  if (name.startsWith(".")) return "must not start with '.'";
  if (!STREAM_NAME.test(name)) return "use only A-Z a-z 0-9 . _ -";
  return "";
}
