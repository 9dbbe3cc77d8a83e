"""Accessibility: axe-core (static/vendor/axe-core, vendored for these tests only: the page
never loads it) finds no WCAG 2.0/2.1 A or AA violation on the page at rest, mid-timeline and
at the end of the timeline, in the light and the dark colour scheme, in English and Korean."""

import pytest
from pagekit import MINUS, css_string, enter_tutorial, expect, shown_steps

AXE = "/static/vendor/axe-core/axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# WCAG 2.5.3 (label in name) for the graph's nodes. A node's label is its name or symbol
# ("x"); its accessible name begins with it and goes on with what the numbers drawn around
# it mean ("x, Value −2, Gradient −4"). axe's heuristic instead takes all the text inside the
# node, glued together ("y5−4" for y = 5 with gradient −4), as the label, which no name that
# says "value" and "gradient" can contain. So for graph nodes this check is made here: the
# accessible name must begin with the node's name, or its symbol when it has no name.
LABEL_IN_NAME_JS = """el => el.matches('[data-testid=node]') && (el.getAttribute('aria-label') ?? '')
    .startsWith(el.dataset.name || el.querySelector('text.symbol').textContent)"""


def axe_violations(app) -> list[dict]:
    # A script of our own origin, so the page's CSP (script-src 'self') lets it run.
    app.page.add_script_tag(url=AXE)
    app.page.wait_for_function("typeof axe === 'object'")
    return app.page.evaluate(
        f"""tags => axe.run(document, {{runOnly: {{type: 'tag', values: tags}},
                                       resultTypes: ['violations'], elementRef: true}})
             .then(r => r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes
                 .filter(n => v.id !== 'label-content-name-mismatch'
                              || !({LABEL_IN_NAME_JS})(n.element))
                 .map(n => ({{target: n.target.join(' '), summary: n.failureSummary}}))}}))
               .filter(v => v.nodes.length))""",
        WCAG)


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}\n      {node['summary']}".replace("\n", "\n      "))
    return "\n".join(lines)


def at_step(app, where: str):
    """Put the timeline at rest (step 0), mid-way (3 steps forward) or at its end (Done)."""
    total = app.counter()[1]
    assert total > 3, total
    if where == "mid":
        for k in range(1, 4):
            app.testid("step-next").click()
            app.expect_counter(k, total)
    elif where == "end":
        app.page.locator("#step-end").click()
        app.expect_counter(total, total)
    else:
        app.expect_counter(0, total)


@pytest.mark.parametrize("where", ["rest", "mid", "end"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_wcag_violations(new_app, scheme, where):
    app = new_app()
    app.page.emulate_media(color_scheme=scheme)
    app.open()
    expect(app.page.locator("html")).to_have_attribute("data-theme", scheme)
    assert not any(AXE in url for url in app.guard.requests), "the page itself loads axe"
    at_step(app, where)
    violations = axe_violations(app)
    assert not violations, f"{scheme}, {where}:\n{describe(violations)}"


def test_no_wcag_violations_with_the_next_run_staged(app):
    """The next Run's drawing, laid out ahead on the page (clipped, aria-hidden, no tab
    stops), adds nothing axe objects to."""
    app.type_expression("(a+b)*c", ["a", "b", "c"])
    app.set_value("a", "2")
    app.page.wait_for_selector("body[data-ahead=ready]", state="attached")
    expect(app.page.locator("[data-testid=graph] .staged")).to_have_count(1)
    violations = axe_violations(app)
    assert not violations, describe(violations)


def test_no_wcag_violations_in_korean(new_app):
    app = new_app(locale="ko-KR")
    app.open()
    expect(app.page.locator("html")).to_have_attribute("lang", "ko")
    at_step(app, "end")
    violations = axe_violations(app)
    assert not violations, describe(violations)


FOCUSED_NODE_JS = """() => { const el = document.activeElement;
    return el?.dataset?.testid === 'node'
      ? {id: el.dataset.nodeId, name: el.dataset.name, label: el.getAttribute('aria-label')}
      : null; }"""


def test_keyboard_walks_the_graph_and_hears_each_node(app, shots):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    app.page.locator("#step-end").click()
    app.expect_counter(n, n)

    # The graph is one tab stop: Tab reaches a node, the next Tab leaves the graph.
    assert app.page.locator("[data-testid=node][tabindex='0']").count() == 1
    for _ in range(80):
        app.key("Tab")
        start = app.page.evaluate(FOCUSED_NODE_JS)
        if start:
            break
    assert start, "Tab never reached a graph node"

    # Each node is heard with its value and gradient, as the graph shows them.
    by_name = {nd["name"]: nd for nd in graph["nodes"] if nd.get("name")}
    assert set(by_name) >= {"x", "y", "z"}, by_name
    expected = {"x": f"x, Value {MINUS}2, Gradient {MINUS}4",
                "y": f"y, Value 5, Gradient {MINUS}4",
                "z": f"z, Value {MINUS}4, Gradient +3"}
    labels = app.page.eval_on_selector_all("[data-testid=node]", """els => Object.fromEntries(
        els.map(e => [e.dataset.nodeId, e.getAttribute('aria-label')]))""")
    for name, text in expected.items():
        assert labels[by_name[name]["id"]] == text, labels
    assert labels[graph["output"]].endswith(f"Value {MINUS}12, Gradient +1"), labels

    # The arrow keys move node to node in their direction (the timeline stays put), and
    # walking from the first node reaches every node.
    centre = app.page.eval_on_selector_all("[data-testid=node]", """els => Object.fromEntries(
        els.map(e => { const r = e.getBoundingClientRect();
                       return [e.dataset.nodeId, [r.x + r.width / 2, r.y + r.height / 2]]; }))""")
    ahead = {"ArrowRight": (0, 1), "ArrowLeft": (0, -1), "ArrowDown": (1, 1), "ArrowUp": (1, -1)}
    reached, todo = {start["id"]}, [start["id"]]
    while todo:
        here = todo.pop()
        for key, (axis, sign) in ahead.items():
            app.page.locator(f"[data-node-id={css_string(here)}]").focus()
            app.key(key)
            there = app.page.evaluate(FOCUSED_NODE_JS)
            assert there, f"{key} from {here} left the graph"
            if there["id"] != here:
                assert (centre[there["id"]][axis] - centre[here][axis]) * sign > 0, (key, here, there)
                if there["id"] not in reached:
                    reached.add(there["id"])
                    todo.append(there["id"])
    app.expect_counter(n, n)
    assert reached == {nd["id"] for nd in graph["nodes"]}, (reached, centre)

    # The node last walked to is the graph's tab stop now, and Tab leaves the graph.
    here = app.page.evaluate(FOCUSED_NODE_JS)
    app.page.locator(".graph-wrap").screenshot(path=str(shots / "graph-walk-focus.png"))
    assert app.page.locator("[data-testid=node][tabindex='0']").get_attribute("data-node-id") \
        == here["id"]
    app.key("Tab")
    app.page.wait_for_function(f"({FOCUSED_NODE_JS})() === null")

    # In Korean the words change, the numbers do not.
    app.testid("lang-toggle").click()
    expect(app.page.locator(f"[data-node-id={css_string(by_name['x']['id'])}]")) \
        .to_have_attribute("aria-label", f"x, 값 {MINUS}2, 기울기 {MINUS}4")
