// The REST API as seen from the page: JSON in, {ok, status, data} out, never throws.
async function call(method, path, body) {
  try {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data };
  } catch {
    return { ok: false, status: 0, data: null };
  }
}

export const getOps = () => call("GET", "/api/ops");
export const getExamples = () => call("GET", "/api/examples");
export const parseExpression = (expression) => call("POST", "/api/parse", { expression });
export const evaluateGraph = (request) => call("POST", "/api/graph", request);
export const checkGradients = (request) => call("POST", "/api/gradcheck", request);

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
