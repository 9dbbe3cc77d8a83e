// The answer to a Run, asked for before the click. Once the inputs have settled (the page
// waits for a pause in typing, as it does before /api/parse), app.js asks /api/graph for the
// request Run would send and lays the answer out while the page is idle; the click draws it
// at once (its own request's answer, the same one, confirms it). Pure: the call that asks is
// injected (tests/js/ahead.test.mjs).

// Requests whose JSON is longer are asked at the click only: a big program's answer costs
// the server real work (~250 ms at 10,000 ops) for every pause in typing, and its drawing
// dwarfs the wait anyway. Every preset and anything typed by hand is far below this.
export const AHEAD_MAX_CHARS = 20_000;

export class Ahead {
  /** `ask(request)`: a promise of {ok, status, data} (api.js's evaluateAhead). */
  constructor(ask) {
    this.ask = ask;
    this.key = null; // the request asked, as JSON
    this.answer = null; // its promise
    this.prepared = null; // what the page made of the answer at idle (any value)
  }

  /** Ask for `request` unless it is the one already asked, or too big to ask unbidden.
   * The promise of its answer, or null when not asked. */
  want(request) {
    const key = JSON.stringify(request);
    if (key === this.key) return this.answer;
    this.forget();
    if (key.length > AHEAD_MAX_CHARS) return null;
    this.key = key;
    this.answer = this.ask(request);
    return this.answer;
  }

  /** Keep what the page made of `request`'s answer, while it is still the one asked. */
  keep(request, prepared) {
    if (this.key !== null && JSON.stringify(request) === this.key) this.prepared = prepared;
  }

  /** What the page made of `request`'s answer ahead of the click, or null. */
  ready(request) {
    return this.prepared !== null && JSON.stringify(request) === this.key ? this.prepared : null;
  }

  forget() {
    this.key = this.answer = this.prepared = null;
  }
}
