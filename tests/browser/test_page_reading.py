"""What the page shows while a learner reads it: boxes that open, a tensor rule worked out
entry by entry, the finished graph with every wire's gradient, parameters told from data,
and a timeline that stays on one line (compact on a phone, with the graph and the chain
rule on one screen). Numbers are checked against the API's answer or recomputed here."""

import json

import pytest

from app.examples import EXAMPLES
from pagekit import MINUS, expect, shown_steps

PHONE = {"width": 390, "height": 844}
PRESETS = {ex["id"]: ex for ex in EXAMPLES}


def number(text: str) -> float:
    return float(text.replace(MINUS, "-").lstrip("+"))


def go_to(app, k: int, n: int):
    app.blur()
    app.key("Home")
    for _ in range(k):
        app.key("ArrowRight")
    app.expect_counter(k, n)


def test_a_big_graph_opens_with_boxes_that_open_on_click(app, shots):
    graph = app.choose_example("minibatch-mean")
    by_id = {n["id"]: n for n in graph["nodes"]}
    closed = app.page.locator("[data-testid=node].collapsed")
    expect(closed).to_have_count(1)
    box = closed.first
    box_id = box.get_attribute("data-node-id")
    assert by_id[box_id]["name"] == "err"  # the stage's own node stands for it ...
    assert json.loads(box.get_attribute("data-value")) == by_id[box_id]["value"]
    hidden = len(graph["nodes"]) - len(app.nodes())
    assert hidden >= 2, hidden  # ... and the ops that compute it are inside

    # A step inside the box lights the box: the forward step of w * X (its first op).
    steps = shown_steps(graph)
    first_inside = next(i for i, s in enumerate(steps)
                        if s["kind"] == "node" and by_id[s["node"]]["op"] == "mul")
    go_to(app, first_inside + 1, len(steps))
    assert "active" in box.get_attribute("class").split(), box.get_attribute("class")
    app.shot(shots / "boxes-closed.png")

    # Click: the box opens, every node of the answer is drawn, the step stays.
    box.click()
    expect(closed).to_have_count(0)
    assert len(app.nodes()) == len(graph["nodes"])
    app.expect_counter(first_inside + 1, len(steps))
    toggle = app.testid("group-toggle")
    expect(toggle).to_have_text("Close into boxes")
    toggle.click()
    expect(closed).to_have_count(1)
    expect(toggle).to_have_text("Open all boxes")


def test_a_matrix_rule_is_worked_out_entry_by_entry(app):
    preset = PRESETS["matmul-gradients"]
    graph = app.choose_example("matmul-gradients")
    ids = {n["name"]: n["id"] for n in graph["nodes"] if n["kind"] == "variable"}
    steps = shown_steps(graph)
    k = next(i for i, s in enumerate(steps) if s["kind"] == "edge" and s["source"] == ids["W"]) + 1
    go_to(app, k, len(steps))
    walk = app.testid("entry-walk")
    expect(walk.locator("output")).to_have_text("(1, 1)")

    # ∂L/∂W = G·Xᵀ: entry (i, j) is row i of G · row j of X, recomputed here.
    G, X = preset["output_grad"], preset["values"]["X"]
    rows, cols = len(G), len(X)
    for i in range(rows):
        for j in range(cols):
            expect(walk.locator("output")).to_have_text(f"({i + 1}, {j + 1})")
            line = next(t for t in app.chain_lines() if t.startswith(f"Entry ({i + 1}, {j + 1})"))
            assert f"row {i + 1} of G · row {j + 1} of X" in line, line
            want = sum(g * x for g, x in zip(G[i], X[j]))
            assert number(line.rsplit("= ", 1)[1]) == want, (line, want)
            if (i, j) != (rows - 1, cols - 1):
                walk.get_by_role("button", name="Next entry").click()
    expect(walk.get_by_role("button", name="Next entry")).to_be_disabled()
    walk.get_by_role("button", name="Previous entry").click()
    expect(walk.locator("output")).to_have_text(f"({rows}, {cols - 1})")


WIRES_JS = """() => [...document.querySelectorAll('[data-testid=graph] g.edge')].map((g) => ({
    id: g.querySelector('path.wire').__data__.id,
    text: g.querySelector('text.wire-grad')?.textContent ?? ''}))"""


def test_done_shows_every_wire_with_its_own_gradient(app, shots):
    graph = app.choose_example("staged-forks")  # x and y are forks: their wires differ
    constants = {nd["id"] for nd in graph["nodes"] if nd["kind"] == "constant"}
    grads = {e["id"]: e["grad"] for e in graph["edges"]}
    from_constant = {e["id"] for e in graph["edges"] if e["source"] in constants}
    n = len(shown_steps(graph))
    go_to(app, n - 1, n)
    shown = [w for w in app.page.evaluate(WIRES_JS) if w["text"]]
    assert len(shown) == 1, shown  # mid-way: only the current wire carries its number
    app.key("End")
    app.expect_counter(n, n)
    wires = app.page.evaluate(WIRES_JS)
    assert len(wires) == len(graph["edges"])
    assert from_constant  # (1 + exp(−y) has one): constants get no gradient label
    for w in wires:
        if w["id"] in from_constant:
            assert not w["text"], w
            continue
        assert w["text"], f"edge {w['id']} shows no gradient at Done"
        want = grads[w["id"]]
        assert abs(number(w["text"]) - want) <= 1e-3 * max(1, abs(want)), (w, want)
    app.page.locator(".graph-wrap").screenshot(path=str(shots / "done-every-wire.png"))


def test_parameters_are_marked_apart_from_data(app):
    app.choose_example("sigmoid-neuron")
    role = lambda name: app.page.locator(  # noqa: E731
        f"[data-testid=node][data-name={name}]").get_attribute("class").split()
    for name in ("w0", "w1", "w2"):
        assert "param" in role(name) and "data" not in role(name), (name, role(name))
    for name in ("x0", "x1"):
        assert "data" in role(name) and "param" not in role(name), (name, role(name))
    expect(app.testid("train-param-w0")).to_be_checked()  # training defaults to them
    # The training panel's ticks are the source: untick w0, tick x0.
    app.testid("train-param-w0").uncheck()
    app.testid("train-param-x0").check()
    assert "data" in role("w0") and "param" in role("x0")


ROWS_JS = """(selector) => {
  const kids = [...document.querySelector(selector).children]
    .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
  // Rows: elements whose vertical middles are within 12 px of each other share one.
  const middles = kids.map((el) => { const r = el.getBoundingClientRect(); return (r.top + r.bottom) / 2; })
    .sort((a, b) => a - b);
  return middles.filter((m, i) => i === 0 || m - middles[i - 1] > 12).length;
}"""


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_timeline_stays_on_one_line(new_app, locale):
    app = new_app(viewport={"width": 1280, "height": 900}, locale=locale).open()  # and wider
    app.blur()
    for key in ("End", "ArrowLeft"):  # the longest phase label: "Backward pass" / "역전파"
        app.key(key)
        assert app.page.evaluate(ROWS_JS, ".timeline") == 1
        assert app.page.evaluate("document.querySelector('#phase').scrollWidth "
                                 "<= document.querySelector('#phase').clientWidth")


def test_a_phone_shows_the_graph_and_the_chain_rule_together(new_app, shots):
    app = new_app(viewport=PHONE, is_mobile=True, has_touch=True).open()
    assert app.page.evaluate(ROWS_JS, ".timeline") <= 2
    app.page.locator(".graph-wrap").scroll_into_view_if_needed()
    app.blur()
    app.key("End")
    app.page.locator(".graph-wrap").evaluate("el => el.scrollIntoView({block: 'start'})")
    graph_box = app.page.locator(".graph-wrap").bounding_box()
    chain_box = app.chain_el.bounding_box()
    # The whole canvas and the start of the explanation fit in one screen.
    assert graph_box["y"] >= 0 and graph_box["y"] + graph_box["height"] <= PHONE["height"], graph_box
    assert chain_box["y"] + 60 <= PHONE["height"], (graph_box, chain_box)
    app.shot(shots / "phone-graph-and-chain.png")
