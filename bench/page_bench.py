"""The page in headless Chromium (the speed issue): a ~300-node graph laid out and drawn in
under 0.5 s, a ~2,000-node graph in under 1.5 s, and stepping through the ~300-node graph's
timeline at >= 50 rendered steps per second.

The app is served by `uvicorn app.main:app` on 127.0.0.1 (bench/http_server.py) and the
page is opened in Debian's chromium through Playwright (1400x900 viewport), waiting for
`body[data-ready=true]`. The graphs are the staged scalar programs with forks of
bench/programs.py, shortened (20 inputs; the number of operations is picked so the graph
has about 300 / 2,000 nodes; the node count printed is the API's).

layout+draw (the target) = in the page, from the moment the API's JSON is decoded to the
            moment the graph is in the DOM and painted: `layoutGraph(graph)` + `new
            GraphView(svg).setGraph(graph, layout)` + `view.update(stateAt(graph, 0))` (the
            page's own modules, imported from /static/js/) + the browser's frame after it
            (requestAnimationFrame, then a message posted from it: it runs once the frame's
            style, layout and paint are done on the main thread). The JSON is fetched in the
            page with the same request body the page sends; its JSON.parse is reported apart.
            Drawn into a fresh copy of the page's <svg id="graph"> (same place, same CSS),
            swapped in for the measurement and swapped back after it.
end to end (information) = what a user waits for: fill the expression, wait for the value
            inputs (/api/parse), fill every value, click Run; timed in the page from the
            click (a capture-phase listener) until the page's own run() has put the graph in
            the DOM (a MutationObserver on the zoom layer's children fires right after
            run()'s synchronous rendering) and the next frame is painted. Split with the
            Resource Timing entry of POST /api/graph: click -> response end (request,
            server, transfer) and response end -> painted (JSON decode, layout, draw, paint).
stepping (the target) = the ~300-node graph's whole timeline, one ArrowRight keydown (the
            page's own keyboard handler, the same code path as a key press) per animation
            frame, so every step is rendered in its own frame; steps/s = 1000 / the median
            frame interval. This is capped by the display rate (60 Hz in headless Chromium),
            so the per-step cost is reported too: from the keydown to the end of that
            frame's rendering (capacity = 1000 / its median).

Where the time goes (information): the splits above (performance.now() in the page), and
the renderer main thread's CDP Performance metrics over each measurement: time in tasks,
style recalculation, layout, script (for stepping; script run from page.evaluate is counted
as DevTools time, so for layout+draw it stays in "other") and the thread's CPU time (on a
busy machine, tasks >> CPU means the renderer waited for a core).

Medians over max(5, --runs) repetitions for layout+draw and end to end, after an untimed
warm-up round; 5 passes over the whole timeline for stepping. The JS heap is collected
(CDP HeapProfiler.collectGarbage, untimed) before each timed repetition. Uncaught page
errors and console errors are collected and printed.
"""

from __future__ import annotations

import json
import re
import statistics

from bench import programs
from bench.common import Outcome, VerificationError, verdict
from bench.http_server import Server, app_overrides

NAME = "page"
DESCRIPTION = "the page in headless Chromium: layout+draw of ~300/~2,000-node graphs, stepping"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
N_INPUTS = 20
SIZES = ((300, 0.5), (2000, 1.5))  # (target node count, layout+draw target in seconds)
STEP_TARGET = 50.0  # rendered steps per second
STEP_PASSES = 5
TIMEOUT_MS = 60_000
# CDP Performance.getMetrics of the renderer's main thread (seconds, cumulative): time in
# tasks (wall), split into script / style / layout; ThreadTime is its CPU time.
METRICS = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration",
           "ThreadTime")


# --- programs ----------------------------------------------------------------------------------

def program_for(target_nodes: int):
    """(text, values, n_ops, nodes) of the staged scalar program whose graph has the node count
    closest to `target_nodes` (counted with the engine in this process; the stages are the same
    prefix for every n_ops, so the count grows with n_ops)."""
    from app.engine import evaluate

    cache = {}

    def nodes(n_ops):
        if n_ops not in cache:
            text, values = programs.scalar_program(n_ops, N_INPUTS)
            cache[n_ops] = len(evaluate(text, values).nodes)
        return cache[n_ops]

    lo, hi = 20, max(40, target_nodes)
    while nodes(hi) < target_nodes:
        hi *= 2
    while hi - lo > 1:  # smallest n_ops with nodes >= target (nearly monotone is enough)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if nodes(mid) < target_nodes else (lo, mid)
    best = min((lo, hi), key=lambda n: (abs(nodes(n) - target_nodes), n))
    text, values = programs.scalar_program(best, N_INPUTS)
    used = set(re.findall(r"\bx\d+\b", text))  # the page sends only the variables in use
    values = {k: v for k, v in values.items() if k in used}
    return text, values, best, nodes(best)


# --- in-page scripts ---------------------------------------------------------------------------

# Resolves with performance.now() once the frame after the current task is rendered.
_AFTER_PAINT = """
const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => resolve(performance.now());
  ch.port2.postMessage(0);
}));
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));
"""

# layout+draw in three calls, so the renderer metrics taken between them cover only the
# measurement: fetch (stashes the response text), measure (leaves the new drawing in place),
# restore (puts the page's own <svg> back).
JS_FETCH = """async ({ body }) => {
  await Promise.all([import("/static/js/layout.js"), import("/static/js/graph-view.js"),
                     import("/static/js/timeline.js")]);
  const response = await fetch("/api/graph", {
    method: "POST", headers: { "Content-Type": "application/json" }, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /api/graph answered ${response.status}: ${text.slice(0, 300)}`);
  window.__pageBenchText = text;
  return text.length;
}"""

JS_LAYOUT_DRAW = """async () => {
""" + _AFTER_PAINT + """
  const [{ layoutGraph }, viewModule, { stateAt }] = await Promise.all([
    import("/static/js/layout.js"), import("/static/js/graph-view.js"),
    import("/static/js/timeline.js")]);
  const { GraphView, layoutOptions } = viewModule;  // as app.js calls them
  const text = window.__pageBenchText;
  window.__pageBenchText = null;
  const tp = performance.now();
  const graph = JSON.parse(text);
  const parseMs = performance.now() - tp;
  await nextFrame();  // start on a quiet main thread, as after the fetch in the page
  const old = document.getElementById("graph");
  const svg = old.cloneNode(false);
  old.replaceWith(svg);
  window.__pageBenchSvgs = [svg, old];
  const t0 = performance.now();
  const layout = layoutGraph(graph, layoutOptions ? layoutOptions(graph) : {});
  const t1 = performance.now();
  const view = new GraphView(svg);
  view.setGraph(graph, layout);
  const t2 = performance.now();
  view.update(stateAt(graph, 0), { digits: 4 });
  const t3 = performance.now();
  const t4 = await afterPaint();
  const t5 = await nextFrame();  // the double-rAF reading, for comparison
  const drawn = svg.querySelectorAll("g.node").length;
  const wires = svg.querySelectorAll("path.wire").length;
  const elements = svg.querySelectorAll("*").length;
  return { parseMs, layoutMs: t1 - t0, setGraphMs: t2 - t1, updateMs: t3 - t2,
           frameMs: t4 - t3, totalMs: t4 - t0, doubleRafMs: t5 - t0, mode: layout.mode,
           layers: layout.layers, nodes: graph.nodes.length, edges: graph.edges.length,
           steps: graph.steps.length, drawn, wires, elements, bytes: text.length };
}"""

JS_RESTORE = """() => {
  const svgs = window.__pageBenchSvgs;
  window.__pageBenchSvgs = null;
  if (svgs) svgs[0].replaceWith(svgs[1]);
}"""

# Armed before the click on Run; window.__pageBench.done resolves once the page's run() has
# drawn the new graph and the next frame is painted.
JS_ARM_RUN = """() => {
""" + _AFTER_PAINT + """
  performance.clearResourceTimings();
  const run = document.getElementById("run");
  const root = document.querySelector("#graph .zoom-layer");
  const bench = { t0: null };
  bench.done = new Promise((resolve) => {
    run.addEventListener("click", () => { bench.t0 = performance.now(); },
                         { capture: true, once: true });
    const observer = new MutationObserver(async () => {
      observer.disconnect();
      const tDom = performance.now();  // run() has finished its synchronous rendering
      const tPaint = await afterPaint();
      resolve({ tDom, tPaint });
    });
    observer.observe(root, { childList: true });
  });
  window.__pageBench = bench;
}"""

JS_MARK_VALUES = """() => {
  for (const el of document.querySelectorAll("#values-editor > *")) el.__pageBenchStale = true;
}"""

JS_VALUES_READY = """(names) => {
  const rows = [...document.querySelectorAll("#values-editor > *")];
  return rows.length > 0 && !rows.some((el) => el.__pageBenchStale)
    && names.every((n) => document.querySelector(`[data-testid=value-input-${n}]`));
}"""

JS_RUN_RESULT = """async (timeoutMs) => {
  const bench = window.__pageBench;
  const r = await Promise.race([bench.done, new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs))]);
  if (!r) return null;
  const api = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/graph"));
  const e = api[api.length - 1];
  const n = Number(document.getElementById("scrub").max);
  return { t0: bench.t0, tDom: r.tDom, tPaint: r.tPaint,
           fetchStart: e ? e.startTime : null, responseEnd: e ? e.responseEnd : null,
           drawn: document.querySelectorAll("#graph g.node").length,
           counter: document.getElementById("step-counter").textContent,
           error: document.getElementById("error-message").textContent, steps: n };
}"""

JS_STEPPING = """async () => {
""" + _AFTER_PAINT + """
  const scrub = document.getElementById("scrub");
  const n = Number(scrub.max);
  const key = (k) => document.body.dispatchEvent(
    new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
  key("Home");
  if (scrub.value !== "0") throw new Error(`Home left the timeline at ${scrub.value}`);
  await afterPaint();
  await nextFrame();
  return await new Promise((resolve, reject) => {
    const frames = [];  // rAF timestamp of the frame that renders step i (i = 1..n)
    const work = [];    // keydown -> end of that frame's rendering, ms
    const script = [];  // the keydown handler alone, ms
    let k = 0;
    const tick = (ts) => {
      if (k === n) {
        frames.push(ts);  // the frame after the last step's: its interval ends here
        resolve({ n, frames, work, script });
        return;
      }
      frames.push(ts);
      const ta = performance.now();
      key("ArrowRight");
      k += 1;
      const tb = performance.now();
      if (scrub.value !== String(k)) {
        reject(new Error(`ArrowRight did not reach step ${k} (at ${scrub.value})`));
        return;
      }
      script.push(tb - ta);
      const ch = new MessageChannel();
      ch.port1.onmessage = () => work.push(performance.now() - ta);
      ch.port2.postMessage(0);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}"""


# --- the benchmark -----------------------------------------------------------------------------

def _request_body(text: str, values: dict) -> str:
    # the page sends {expression, values, expand}; output_grad only when set
    return json.dumps({"expression": text, "values": values, "expand": False})


def _fmt_s(ms: float) -> str:
    return f"{ms / 1e3:.2f} s" if ms >= 100 else f"{ms / 1e3:.3f} s"


def _med(xs):
    return statistics.median(xs)


def _metrics_line(ms: list[dict], script: bool = True) -> str:
    """Script run from page.evaluate counts as DevTools time, not ScriptDuration: with
    script=False the script is left in "other" and not named."""
    m = {k: _med([x[k] for x in ms]) for k in METRICS}
    other = m["TaskDuration"] - m["RecalcStyleDuration"] - m["LayoutDuration"]
    head = f"tasks {m['TaskDuration']:.1f} = "
    if script:
        other -= m["ScriptDuration"]
        head += f"script {m['ScriptDuration']:.1f} + "
    return (head + f"style recalc {m['RecalcStyleDuration']:.1f} + layout "
            f"{m['LayoutDuration']:.1f} + other ({'' if script else 'script, '}paint, GC, ...) "
            f"{other:.1f}; main-thread CPU {m['ThreadTime']:.1f}")


def run(runs: int = 9, log=print) -> list[Outcome]:
    from playwright.sync_api import sync_playwright

    reps = max(5, runs)
    cases = []
    for target, limit in SIZES:
        text, values, n_ops, nodes = program_for(target)
        cases.append({"target": target, "limit": limit, "text": text, "values": values,
                      "n_ops": n_ops, "engine_nodes": nodes, "layout": [], "e2e": []})

    page_errors: list[str] = []
    console_errors: list[str] = []
    outcomes: list[Outcome] = []

    with Server("app.main:app") as srv, sync_playwright() as pw:
        log(f"  server: uvicorn app.main:app on {srv.url('/')} (pid {srv.proc.pid}; "
            f"BPV_* overrides: {app_overrides() or 'none, the defaults'})")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.on("console", lambda msg: console_errors.append(
                f"{msg.text} ({msg.location.get('url', '')}:{msg.location.get('lineNumber', '')})")
                if msg.type == "error" else None)
            cdp = context.new_cdp_session(page)
            log(f"  browser: {CHROMIUM} {browser.version}, headless, viewport "
                f"{VIEWPORT['width']}x{VIEWPORT['height']}")

            page.goto(srv.url("/"))
            page.wait_for_selector("body[data-ready=true]", state="attached")
            hz = page.evaluate("""async () => {
                const ts = [];
                await new Promise((resolve) => { const f = (t) => { ts.push(t);
                  ts.length < 61 ? requestAnimationFrame(f) : resolve(); }; requestAnimationFrame(f); });
                const d = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
                return 1000 / d[d.length >> 1]; }""")
            log(f"  display rate (rAF, idle page): {hz:.1f} Hz")

            cdp.send("Performance.enable")

            def gc():
                cdp.send("HeapProfiler.collectGarbage")

            def metrics():
                m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
                return {k: m.get(k, 0.0) * 1e3 for k in METRICS}

            def measured(fn, *args):
                """fn's result with the renderer main thread's metric deltas (ms) added."""
                m0 = metrics()
                r = fn(*args)
                m1 = metrics()
                r["metrics"] = {k: m1[k] - m0[k] for k in METRICS}
                return r

            def layout_draw(case, rep, with_metrics=False):
                body = _request_body(f"{case['text']}# layout {rep}\n", case["values"])
                page.evaluate(JS_FETCH, {"body": body})
                try:
                    if with_metrics:
                        gc()
                        return measured(page.evaluate, JS_LAYOUT_DRAW)
                    return page.evaluate(JS_LAYOUT_DRAW)
                finally:
                    page.evaluate(JS_RESTORE)

            def end_to_end(case, rep):
                text = f"{case['text']}# run {rep}\n"
                # The page re-renders the value inputs once /api/parse has answered; filling
                # them before that could type into a replaced input. Mark the current ones,
                # type the expression, wait for fresh inputs for every variable.
                page.evaluate(JS_MARK_VALUES)
                page.fill("[data-testid=expression-input]", text)
                page.wait_for_function(JS_VALUES_READY, arg=list(case["values"]))
                for name, v in case["values"].items():
                    page.fill(f"[data-testid=value-input-{name}]", repr(v))
                gc()
                page.evaluate(JS_ARM_RUN)
                page.click("[data-testid=run-button]")
                r = page.evaluate(JS_RUN_RESULT, TIMEOUT_MS)
                if r is None:
                    err = page.text_content("[data-testid=error-message]")
                    raise VerificationError(f"{case['target']}-node run: no graph drawn within "
                                            f"{TIMEOUT_MS / 1e3:.0f} s (error message: {err!r})")
                want = case["api"]
                if (r["drawn"] != want["nodes"] or r["steps"] != want["steps"]
                        or r["counter"] != f"0 / {want['steps']}" or r["error"]):
                    raise VerificationError(f"{case['target']}-node run drew {r['drawn']} nodes, "
                                            f"counter {r['counter']!r}, error {r['error']!r}; the "
                                            f"API has {want['nodes']} nodes, {want['steps']} steps")
                return r

            # warm-up round (JIT, modules, the server's workers); also learns the API's counts
            for case in cases:
                w = layout_draw(case, "warm-up")
                if w["drawn"] != w["nodes"]:
                    raise VerificationError(f"drew {w['drawn']} of {w['nodes']} nodes")
                case["api"] = w
                end_to_end(case, "warm-up")

            for rep in range(reps):  # interleaved, order rotated per round
                order = cases if rep % 2 == 0 else cases[::-1]
                for case in order:
                    r = layout_draw(case, rep, with_metrics=True)
                    if r["drawn"] != r["nodes"]:
                        raise VerificationError(f"drew {r['drawn']} of {r['nodes']} nodes")
                    case["layout"].append(r)
                    case["e2e"].append(end_to_end(case, rep))

            # stepping: the ~300-node graph (run through the page again so it is the page's)
            small = cases[0]
            end_to_end(small, "stepping")
            page.evaluate("document.activeElement?.blur()")
            page.keyboard.press("ArrowRight")  # a real key press: the same handler
            if page.input_value("#scrub") != "1":
                raise VerificationError("ArrowRight on the page did not step the timeline")
            passes = []
            for _ in range(STEP_PASSES):
                gc()
                passes.append(measured(page.evaluate, JS_STEPPING))
        finally:
            browser.close()
        server_log = srv.log_text()

    # --- report ----------------------------------------------------------------------------
    for case in cases:
        a, L = case["api"], case["layout"]
        total = _med([x["totalMs"] for x in L])
        ok = total < case["limit"] * 1e3
        line = (f"page {a['nodes']} nodes: layout+draw {_fmt_s(total)} "
                f"(target < {case['limit']:g}) {verdict(ok)}")
        log(line)
        log(f"  {a['nodes']} nodes, {a['edges']} edges, {a['steps']} steps, {a['layers']} "
            f"columns, layout mode {a['mode']!r}; {a['elements']:,} SVG elements; "
            f"{case['n_ops']}-op program, {len(case['values'])} inputs; response {a['bytes'] / 1e3:.0f} kB")
        log(f"  split (medians, ms): layoutGraph {_med([x['layoutMs'] for x in L]):.1f} | "
            f"setGraph {_med([x['setGraphMs'] for x in L]):.1f} | update(stateAt 0) "
            f"{_med([x['updateMs'] for x in L]):.1f} | frame (style+layout+paint) "
            f"{_med([x['frameMs'] for x in L]):.1f}; JSON.parse "
            f"{_med([x['parseMs'] for x in L]):.1f} (not counted); double-rAF reading "
            f"{_med([x['doubleRafMs'] for x in L]):.0f}")
        log("  renderer main thread in that time (CDP metrics, medians, ms): "
            + _metrics_line([x["metrics"] for x in L], script=False))
        log(f"  layout+draw min {min(x['totalMs'] for x in L):.0f} / max "
            f"{max(x['totalMs'] for x in L):.0f} ms over {len(L)}")
        E = case["e2e"]
        e2e = _med([x["tPaint"] - x["t0"] for x in E])
        api_part = [x["responseEnd"] - x["t0"] for x in E if x["responseEnd"] is not None]
        page_part = [x["tPaint"] - x["responseEnd"] for x in E if x["responseEnd"] is not None]
        split = (f": click -> response end {_fmt_s(_med(api_part))}, response end -> painted "
                 f"{_fmt_s(_med(page_part))}" if api_part else "")
        log(f"  end to end (click Run -> painted, API included; information): {_fmt_s(e2e)}"
            f"{split} (min {min(x['tPaint'] - x['t0'] for x in E):.0f} / max "
            f"{max(x['tPaint'] - x['t0'] for x in E):.0f} ms over {len(E)})")
        outcomes.append(Outcome(f"page {case['target']}-node layout+draw < {case['limit']:g} s",
                                line, ok, {"layout_draw_ms": total, "end_to_end_ms": e2e,
                                           "nodes": a["nodes"]}))
        outcomes.append(Outcome(f"page {case['target']}-node end to end", f"end to end "
                                f"{_fmt_s(e2e)}", None, {"ms": e2e}))

    rates, overall, capacity, script = [], [], [], []
    for p in passes:
        iv = [b - a for a, b in zip(p["frames"], p["frames"][1:])]
        rates.append(1000 / _med(iv))
        overall.append(p["n"] / ((p["frames"][-1] - p["frames"][0]) / 1e3))
        capacity.append(1000 / _med(p["work"]))
        script.append(_med(p["script"]))
    n_nodes = small["api"]["nodes"]
    rate = _med(rates)
    ok = rate >= STEP_TARGET
    line = (f"page stepping {n_nodes} nodes: {rate:.0f} steps/s (target ≥ {STEP_TARGET:g}) "
            f"{verdict(ok)}")
    log(line)
    log(f"  {passes[0]['n']} steps, every one rendered in its own frame, {len(passes)} passes; "
        f"steps/s = 1000 / median frame interval (capped by the {hz:.0f} Hz display rate); "
        f"whole timeline {_med(overall):.0f} steps/s")
    log(f"  per step: keydown handler (with any layout it forces) {_med(script):.2f} ms, keydown -> frame rendered "
        f"{1000 / _med(capacity):.2f} ms (median), so ≈ {_med(capacity):.0f} steps/s without "
        f"the display cap; per-pass rendered rates "
        + ", ".join(f"{r:.0f}" for r in rates))
    per_step = [{k: v / p["n"] for k, v in p["metrics"].items()} for p in passes]
    log("  main thread per step (CDP metrics, medians over the passes, ms): "
        + _metrics_line(per_step))
    outcomes.append(Outcome(f"page stepping {small['target']}-node ≥ {STEP_TARGET:g} steps/s",
                            line, ok, {"steps_per_s": rate, "capacity": _med(capacity)}))

    from bench.http_server import server_problems
    for p in server_problems(server_log):
        log(f"  SERVER LOG: {p}")
    if page_errors or console_errors:
        for e in page_errors[:10]:
            log(f"  PAGE ERROR: {e}")
        for e in console_errors[:10]:
            log(f"  CONSOLE ERROR: {e}")
    else:
        log("  no page errors, no console errors")
    return outcomes


if __name__ == "__main__":
    run()
