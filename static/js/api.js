// The REST API as seen from the page: JSON in, {ok, status, data} out, never throws.
// `signal` (an AbortController's) cancels a call; a cancelled call answers {aborted: true}.
async function call(method, path, body, signal) {
  try {
    const response = await fetch(path, {
      method,
      signal,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: null, aborted: err?.name === "AbortError" };
  }
}

/** POST `body` as JSON to `path`: {ok, status, data, aborted?}. */
export const postJSON = (path, body, signal) => call("POST", path, body, signal);

/** Complete lines of an NDJSON buffer, and the unfinished rest. */
export function splitLines(buffer) {
  const parts = buffer.split("\n");
  const rest = parts.pop();
  return { lines: parts.filter((line) => line.trim() !== ""), rest };
}

/** POST /api/train with `Accept: application/x-ndjson` and hand its lines over while it
 * trains: `onMessages(messages, done)` after every chunk that arrived (each message a
 * parsed line: a history entry, the last {done, params, stopped}, or an error {detail};
 * a torn line is skipped). Answers {ok, status, data} when the server refused the request
 * (data: its error), {ok: true} when the stream ended, {ok: false, status: 0, aborted}
 * when the network failed or `signal` aborted it. Never throws. */
export async function streamTrain(request, { signal, onMessages }) {
  let response;
  try {
    response = await fetch("/api/train", { method: "POST", signal,
      headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
      body: JSON.stringify(request) });
    if (!response.ok) {
      return { ok: false, status: response.status, data: await response.json().catch(() => null) };
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value, { stream: !done });
      const { lines, rest } = splitLines(done ? `${buffer}\n` : buffer);
      buffer = rest;
      const messages = [];
      for (const line of lines) {
        try { messages.push(JSON.parse(line)); } catch { /* a torn line: skip it */ }
      }
      onMessages(messages, done);
      if (done) return { ok: true, status: response.status, data: null };
    }
  } catch (err) {
    return { ok: false, status: 0, data: null, aborted: err?.name === "AbortError" || Boolean(signal?.aborted) };
  }
}

export const getOps = () => call("GET", "/api/ops");
export const getExamples = () => call("GET", "/api/examples");
export const getOptimizers = () => call("GET", "/api/optimizers");
export const getMistakes = () => call("GET", "/api/mistakes");
export const parseExpression = (expression) => call("POST", "/api/parse", { expression });
export const evaluateGraph = (request) => call("POST", "/api/graph", request);
/** POST /api/graph?ahead=1: Run's answer asked before the click; a request the API would
 * refuse answers 204 (data null) rather than an error the browser would log. */
export const evaluateAhead = (request) => call("POST", "/api/graph?ahead=1", request);
export const checkGradients = (request) => call("POST", "/api/gradcheck", request);
export const exportScript = (request) => call("POST", "/api/export", request);

/** The first error of a failed response: {type, msg, msg_ko, start, end, loc} or null. */
export function firstError(result) {
  const item = result?.data?.detail?.[0];
  if (!item) return null;
  return { type: item.type, msg: item.msg, msg_ko: item.ctx?.msg_ko ?? item.msg,
           start: item.ctx?.start, end: item.ctx?.end, loc: item.loc ?? [] };
}

/** obj[key] when it is obj's own property, else undefined. API objects are keyed by the
 * user's names, and a name like "constructor" must not find Object.prototype's member. */
export function own(obj, key) {
  return obj !== null && typeof obj === "object" && Object.hasOwn(obj, key) ? obj[key] : undefined;
}
