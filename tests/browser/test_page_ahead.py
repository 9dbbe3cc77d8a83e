"""Run's answer asked ahead (static/js/ahead.js): once the inputs settle, the page asks
POST /api/graph?ahead=1 and lays the answer out at idle, so the click draws before its own
request has been answered; an edit after that is never shown stale; half-typed input is
refused quietly (204, no console error: the page guard fails a test on any)."""

import json
import time

import numpy as np

from pagekit import expect

VARIABLE_VALUES = "els => Object.fromEntries(els.map(e => [e.dataset.name, Number(e.dataset.value)]))"


def _asked_ahead(app):
    """The bodies of the ahead requests the page makes from now on."""
    bodies = []
    app.page.on("request", lambda r: bodies.append(json.loads(r.post_data))
                if r.url.endswith("/api/graph?ahead=1") else None)
    return bodies


def _drawn(app, name):
    return app.page.eval_on_selector(
        f"[data-testid=node][data-name={name}]",
        "el => ({value: Number(el.dataset.value), grad: Number(el.dataset.grad)})")


def test_a_settled_request_is_drawn_at_the_click_before_its_own_answer_arrives(app):
    asked = _asked_ahead(app)
    app.type_expression("(a+b)*c", ["a", "b", "c"])
    for name, text in (("a", "2"), ("b", "-3"), ("c", "4")):
        app.set_value(name, text)
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    assert asked[-1]["expression"] == "(a+b)*c" and asked[-1]["values"] == {"a": 2, "b": -3, "c": 4}

    # The click still asks the server; its answer is held back until the graph is checked.
    held = []

    def run_request(url):
        return url.endswith("/api/graph")

    def hold(route):
        held.append(route)

    app.page.route(run_request, hold)
    old = app._first_node()
    app.testid("run-button").click()
    app.page.wait_for_function(
        "old => !old.isConnected && document.querySelector('[data-testid=node][data-name=c]')", arg=old)
    app.page.wait_for_function("() => document.getElementById('step-counter').textContent.startsWith('0 /')")
    assert len(held) == 1 and json.loads(held[0].request.post_data)["values"] == {"a": 2, "b": -3, "c": 4}
    # (a+b)*c at a=2, b=-3, c=4: -4; d/da = d/db = c = 4, d/dc = a+b = -1
    assert [_drawn(app, n) for n in "abc"] == [{"value": 2, "grad": 4}, {"value": -3, "grad": 4},
                                               {"value": 4, "grad": -1}]
    expect(app.testid("run-button")).to_be_disabled()  # its own answer is still on its way
    held[0].continue_()
    app.page.unroute(run_request, hold)
    expect(app.testid("run-button")).to_be_enabled()
    assert _drawn(app, "c") == {"value": 4, "grad": -1}
    app.expect_counter(0, app.counter()[1])


def test_an_edit_after_the_answer_was_asked_is_never_drawn_stale(app):
    app.type_expression("(a+b)*c", ["a", "b", "c"])
    for name, text in (("a", "2"), ("b", "-3"), ("c", "4")):
        app.set_value(name, text)
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    app.set_value("c", "5")  # and Run at once, before the page asks again
    graph = app.run()
    assert graph["value"] == -5.0
    assert [_drawn(app, n) for n in "abc"] == [{"value": 2, "grad": 5}, {"value": -3, "grad": 5},
                                               {"value": 5, "grad": -1}]
    # Asked ahead, changed, changed back: the answer drawn is the one for what is typed.
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    app.set_value("a", "7")
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    app.set_value("a", "2")
    app.page.keyboard.press("Enter")  # Run from the value box, at once
    expect(app.page.locator("[data-testid=node][data-name=a]")).to_have_attribute("data-value", "2")
    assert _drawn(app, "c") == {"value": 5, "grad": -1}


def test_half_typed_tensor_input_is_refused_quietly_then_the_whole_one_is_drawn(app):
    statuses = []
    app.page.on("response", lambda r: statuses.append(r.status)
                if r.url.endswith("/api/graph?ahead=1") else None)
    # W @ X with the editor's scalar defaults is refused by the engine: asked ahead, 204.
    with app.page.expect_response(lambda r: r.url.endswith("/api/graph?ahead=1")) as first:
        app.type_expression("W @ X", ["W", "X"])
    assert first.value.status == 204
    W, X = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]]), np.array([[2.0], [-1.0], [4.0]])
    app.set_value("W", json.dumps(W.tolist()))
    app.set_value("X", json.dumps(X.tolist()))
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    assert statuses[-1] == 200
    graph = app.run()
    out = W @ X
    assert np.allclose(np.array(graph["value"]), out, rtol=0, atol=1e-12)
    gradients = {name: np.array(g) for name, g in graph["gradients"].items()}
    assert np.allclose(gradients["W"], np.ones_like(out) @ X.T) and np.allclose(gradients["X"], W.T @ np.ones_like(out))
    expect(app.error_el).to_have_text("")


STAGED = "[data-testid=graph] .staged"


def test_the_prepared_drawing_waits_on_the_page_unseen_and_is_the_one_the_click_shows(app):
    """Laid out ahead (graph-view.js stage()), the next Run's drawing is in the graph's svg,
    clipped to nothing: no test hook, id, tab stop, pointer or accessible node finds it
    before the click; the click unclips that very element; an edit drops it."""
    shown = app.nodes()
    app.type_expression("(a+b)*c", ["a", "b", "c"])
    for name, text in (("a", "2"), ("b", "-3"), ("c", "4")):
        app.set_value(name, text)
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    staged = app.page.locator(STAGED)
    expect(staged).to_have_count(1)
    expect(staged).to_have_attribute("aria-hidden", "true")
    assert staged.locator("g.node").count() == 5  # a, b, c, a+b, (a+b)*c: drawn already
    assert app.nodes() == shown  # the hooks find the graph shown, only it
    assert staged.locator("[data-testid], [data-node-id], [id], [tabindex]").count() == 0
    # Nothing of it takes the pointer: under the middle of each of its nodes, no element
    # of it is hit (the page's own graph or background is).
    hits = app.page.evaluate("""sel => [...document.querySelectorAll(sel + ' g.node')].map(n => {
        const r = n.getBoundingClientRect();
        return document.elementsFromPoint(r.x + r.width / 2, r.y + r.height / 2)
          .some(e => e.closest('.staged'));
      })""", STAGED)
    assert hits == [False] * 5
    layer = app.page.evaluate_handle(f"document.querySelector('{STAGED}')")

    app.testid("run-button").click()
    app.page.wait_for_function("""layer => layer.isConnected && !layer.classList.contains('staged')
        && !layer.hasAttribute('aria-hidden')
        && layer.querySelectorAll('[data-testid=node]').length === 5""", arg=layer)
    expect(staged).to_have_count(0)
    assert _drawn(app, "c") == {"value": 4, "grad": -1}
    expect(app.page.locator("[data-testid=graph] .zoom-layer")).to_have_count(1)

    # An edit makes what was staged stale: it leaves the page at once.
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    app.set_value("c", "5")
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    expect(staged).to_have_count(1)
    app.set_value("c", "6")
    expect(staged).to_have_count(0)
    # Typed again as it was: the drawing already made is put back, not made again.
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    made = app.page.evaluate_handle(f"document.querySelector('{STAGED}')")
    app.set_value("c", "6")
    expect(staged).to_have_count(0)
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    assert app.page.evaluate(f"made => document.querySelector('{STAGED}') === made", made)


def test_an_answer_for_inputs_since_changed_is_never_staged(app):
    """The answer asked for c = 4 arrives only after c became 7: it is not laid out on the
    page, and `ready` is not claimed for it; the drawing staged is the one for c = 7."""
    app.type_expression("(a+b)*c", ["a", "b", "c"])
    app.set_value("a", "2")
    app.set_value("b", "-3")
    held = []

    def ahead_request(url):
        return url.endswith("/api/graph?ahead=1")

    app.page.route(ahead_request, lambda route: held.append(route))
    app.page.evaluate("""() => {
        window.__staged = [];
        new MutationObserver((records) => { for (const r of records) for (const n of r.addedNodes)
          if (n.classList?.contains('staged')) window.__staged.push(n.textContent); })
          .observe(document.querySelector('[data-testid=graph]'), { childList: true });
      }""")
    with app.page.expect_request(lambda r: ahead_request(r.url)):
        app.set_value("c", "4")
    app.set_value("c", "7")
    held[0].continue_()  # c = 4's answer, while the page waits for the pause after "7"
    deadline = time.monotonic() + 30
    while len(held) < 2 and time.monotonic() < deadline:
        app.page.wait_for_timeout(20)  # the route handler runs while Playwright waits
    assert len(held) == 2 and json.loads(held[1].request.post_data)["values"]["c"] == 7
    held[1].continue_()
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    app.page.unroute(ahead_request)
    staged = app.page.evaluate("window.__staged")
    assert staged and all("7" in text and "4" not in text for text in staged), staged
