// The page's state: what it starts as, the changes its events make to it, and what is read
// off it (the request to send, the share link's fields). A change is a pure function of an
// input (and of the state, where it needs it) returning the fields it changes, which the
// page merges into its one state object, as timeline.js's reduceAction returns the next k.
// No DOM here: the page writes its inputs from the state, and their events write into it.
import { t } from "./i18n.js";

/** The page before anything is loaded. */
export function initialState() {
  return {
    lang: "en",
    theme: "light",
    ops: [],
    opsByName: new Map(),
    sections: [],
    examples: [],
    example: null, // the preset whose explanation is shown, and the examples menu's choice
    expression: "",
    variables: [], // free variables of the expression, in order of first use
    // name -> text in the values editor. A Map, never a plain object: names are the user's
    // text, and "constructor" or "toString" would otherwise find Object.prototype's members.
    values: new Map(),
    outputGrad: "", // the upstream seed's text; "" for the default (ones)
    mistake: "", // a classic mistake the backward pass makes on purpose (GET /api/mistakes)
    mistakes: [], // their names, titles and descriptions
    expand: false,
    showConstants: false, // the backward steps into constants (hidden: they teach nothing)
    digits: 4, // significant digits shown
    speed: 1, // steps per BASE_DELAY_MS while playing
    response: null, // the last successful /api/graph response (exported as JSON)
    graph: null, // what the page shows of it (without constants' steps unless asked)
    groups: [], // its named stages and composite blocks (js/collapse.js groupsOf)
    closed: new Set(), // the groups drawn as one box (a big graph opens with some closed)
    shown: null, // the graph as drawn: collapse(graph, closed) with its owner maps
    entry: [0, 0], // the entry of a tensor step's gradient the chain rule works out
    // Side by side: what the pane beside shows (compare.js), and its answer.
    compare: { on: false, mode: "expand", name: null, expression: "", valuesText: "", response: null,
      graph: null, error: null, serial: 0 },
    // Practice mode: what was typed at each step of this graph, the hints shown, the score.
    practice: { on: false, forward: false, answers: new Map(), hints: new Map(), error: null,
      score: null, retrying: false, focusNext: false },
    request: null, // the request that produced it
    k: 0,
    playing: false,
    error: null, // {type, msg, msg_ko, start, end, loc}
    shareError: null, // why the share link in the URL did not open (decodeState's reason)
    gradcheck: null,
    selected: null,
    // Pending timers, and serial numbers that let only the latest parse or run answer count.
    playTimer: null,
    parseTimer: null, // a parse of the latest edit is pending
    aheadTimer: null, // asking ahead of Run waits for the inputs to settle (app.js)
    urlTimer: null,
    parseSerial: 0,
    runSerial: 0,
  };
}

/** A value as the editor's text: numbers as they are, lists as JSON. */
export function valueText(v) {
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

/** A preset loaded: its expression, values and options replace the user's. */
export function withExample(ex) {
  return {
    example: ex,
    expression: ex.expression,
    values: new Map(Object.entries(ex.values).map(([k, v]) => [k, valueText(v)])),
    variables: Object.keys(ex.values),
    outputGrad: ex.output_grad === undefined ? "" : valueText(ex.output_grad),
    expand: Boolean(ex.expand),
  };
}

/** A decoded share link opened (share.js's state). */
export function withLink(link) {
  const values = link.values ?? new Map();
  return {
    expression: link.expression,
    values,
    variables: [...values.keys()], // until a parse says which are used
    outputGrad: link.outputGrad ?? "",
    expand: Boolean(link.expand),
    showConstants: Boolean(link.constants),
  };
}

/** The preset a share link names, when its expression is still the preset's (so the
 * explanation the link's author saw fits what it opens); else null. */
export function linkedExample(link, examples) {
  const ex = examples.find((e) => e.id === link.example);
  return ex && ex.expression === link.expression ? ex : null;
}

/** The expression typed: the text is the user's own now, not the preset's, and the user has
 * moved on from a share link that did not open. */
export function withExpression(state, text) {
  // A preset's upstream seed belongs to the preset: it goes with it (unless the user has
  // changed it, which makes it theirs), so x * y typed after "add gate with upstream −4"
  // is not silently seeded with −4.
  const seed = state.example?.output_grad;
  const presetSeed = seed !== undefined && state.outputGrad === valueText(seed);
  return { expression: text, example: null, shareError: null,
    ...(presetSeed ? { outputGrad: "" } : {}) };
}

/** The variables a parse found; a new name starts at 1. */
export function withVariables(state, variables) {
  const values = new Map(state.values);
  for (const name of variables) if (!values.has(name)) values.set(name, "1");
  return { variables, values };
}

/** Texts typed into (or written to) the values editor: [name, text] pairs. Names no longer
 * used keep their text, for when they come back. */
export function withValues(state, texts) {
  return { values: new Map([...state.values, ...texts]) };
}

/** A number or a non-empty (nested) list of numbers from the editor's text, else undefined. */
export function parseValue(text) {
  const trimmed = text.trim().replaceAll("−", "-");
  if (trimmed === "") return undefined;
  try {
    const v = JSON.parse(trimmed);
    const ok = (x) => typeof x === "number" || (Array.isArray(x) && x.length && x.every(ok));
    return ok(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Numbers or JSON lists of the current variables; a bad entry is reported at that variable. */
export function valuesOf(state) {
  const entries = [];
  for (const name of state.variables) {
    const parsed = parseValue(state.values.get(name) ?? "");
    if (parsed === undefined) {
      return { error: { type: "invalid_value", loc: ["body", "values", name],
                        msg: `${name}: ${t("en", "values.hint")}`,
                        msg_ko: `${name}: ${t("ko", "values.hint")}` } };
    }
    entries.push([name, parsed]);
  }
  // The request's JSON object; fromEntries defines own properties, whatever the names.
  return { values: Object.fromEntries(entries) };
}

/** The /api/graph request of the state: {request} or {error}. */
export function requestOf(state) {
  const { values, error } = valuesOf(state);
  if (error) return { error };
  const request = { expression: state.expression, values, expand: state.expand };
  if (state.mistake) request.mistake = state.mistake;
  const seedText = state.outputGrad.trim();
  if (seedText) {
    const seed = parseValue(seedText);
    if (seed === undefined) {
      return { error: { type: "invalid_value", loc: ["body", "output_grad"],
                        msg: t("en", "output_grad.hint"), msg_ko: t("ko", "output_grad.hint") } };
    }
    request.output_grad = seed;
  }
  return { request };
}

/** What a share link keeps (share.js's encodeState): only the current variables' values,
 * since the editor keeps values of names typed earlier too. */
export function shareStateOf(state) {
  const values = new Map(state.variables.map((name) => [name, state.values.get(name) ?? "1"]));
  return { expression: state.expression, values, outputGrad: state.outputGrad,
           expand: state.expand, step: state.k, lang: state.lang, example: state.example?.id,
           constants: state.showConstants || undefined };
}
