// Talking to snapflow-capture's API from the page. The browser already holds the Basic
// credentials (it asked the operator for them when /ui/ answered 401), so same-origin fetches
// carry them. State changes are POST with the X-CSRF-Token header (docs/decisions/0011): the
// token comes from GET /sysmaster/csrf_token and is fetched again once when the daemon refuses
// it (a restart draws a new key).

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// Integers past 2^53 (epoch nanoseconds) become BigInt, every other number stays a Number.
// Uses the reviver's source text (JSON.parse source access); without it they are rounded.
export function parseJsonExact(text) {
  return JSON.parse(text, (key, value, context) => {
    if (typeof value === "number" && !Number.isSafeInteger(value) && context &&
        /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}

async function errorFrom(response) {
  const text = await response.text();
  let message = text.trim();
  let body = null;
  try {
    body = JSON.parse(text);
    message = body.message || body.Str || message;
  } catch {
    // plain-text error answers are the message themselves
  }
  return new ApiError(response.status, message || `HTTP ${response.status}`, body);
}

// GET path; returns {text, response}. Throws ApiError on a non-2xx answer.
export async function getText(path, { signal } = {}) {
  const response = await fetch(path, { signal, cache: "no-store" });
  if (!response.ok) throw await errorFrom(response);
  return { text: await response.text(), response };
}

export async function getJson(path, options = {}) {
  const { text } = await getText(path, options);
  return parseJsonExact(text);
}

let token = null;  // {value, header, expiresMs}

async function csrfToken(refresh) {
  if (!refresh && token && token.expiresMs - Date.now() > 60_000) return token;
  const t = await getJson("/sysmaster/csrf_token");
  token = { value: t.Token, header: t.Header, expiresMs: Number(BigInt(t.ExpiresNs) / 1000000n) };
  return token;
}

// POST path (parameters in the query string, no body) with the CSRF token; the JSON answer.
export async function postJson(path) {
  for (let attempt = 0; ; ++attempt) {
    const t = await csrfToken(attempt > 0);
    const response = await fetch(path, {
      method: "POST",
      headers: { [t.header]: t.value },
      cache: "no-store",
    });
    if (response.status === 403 && attempt === 0) continue;  // stale token: fetch a new one
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = { Status: false, Str: text.trim() };
    }
    if (!response.ok) throw new ApiError(response.status, body.Str || `HTTP ${response.status}`, body);
    return body;
  }
}

// A query string from an object; undefined, null and "" values are left out.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  // URLSearchParams writes a space as "+"; %20 means a space to every decoder.
  const s = q.toString().replace(/\+/g, "%20");
  return s ? "?" + s : "";
}
