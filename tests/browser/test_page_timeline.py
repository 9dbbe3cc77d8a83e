"""The tutorial's first example typed in by hand, and the step timeline (buttons and keys,
the chain-rule panel, stepping back = stepping forward)."""

from pagekit import MINUS, enter_tutorial, expect, shown_steps

def node_ids(graph, name):
    return next(n["id"] for n in graph["nodes"] if n.get("name") == name)


def view_state(app) -> dict:
    """Everything the page shows that depends on the step: counter, chain-rule panel, graph
    labels, highlighted nodes and wires."""
    return {
        "counter": app.counter_el.text_content(),
        "chain": app.chain_text(),
        "graph_text": app.graph_text(),
        "marks": app.page.evaluate("""() => ({
            active: [...document.querySelectorAll('[data-testid=node].active')]
                .map(n => n.dataset.nodeId),
            states: [...document.querySelectorAll('[data-testid=node]')]
                .map(n => n.dataset.state),
            wires: [...document.querySelectorAll('path.wire')]
                .map(w => [...w.classList].sort().join(' ')),
        })"""),
    }


def test_tutorial_typed_in(app, shots):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    assert n == 7  # 2 forward events, the seed, 4 edges

    # After Run the timeline rests at its start: given values shown, nothing computed yet.
    app.expect_counter(0, n)
    assert app.counter() == (0, n)
    shown = {nd["name"] or nd["id"]: nd for nd in app.nodes()}
    assert shown["x"]["shown_value"] == f"{MINUS}2"
    assert all(nd["shown_grad"] == "" for nd in shown.values()), shown
    assert all(nd["shown_value"] == "" for nd in shown.values() if nd["kind"] == "op"), shown

    # End shows everything (the Run button has the focus: keys still drive the timeline).
    app.key("End")
    app.expect_counter(n, n)

    out = app.node_by_id(graph["output"])
    assert float(out["value"]) == -12
    assert out["shown_value"] == f"{MINUS}12"
    grads = {name: float(app.node_by_name(name)["grad"]) for name in ("x", "y", "z")}
    assert grads == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert [app.node_by_name(v)["shown_grad"] for v in ("x", "y", "z")] == \
        [f"{MINUS}4", f"{MINUS}4", "+3"]  # the sign is spelled out as well as coloured
    app.shot(shots / "tutorial-end.png")


def test_step_buttons_and_keys(app):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    nxt, prev = app.testid("step-next"), app.testid("step-prev")

    nxt.click()
    app.expect_counter(1, n)
    nxt.click()
    nxt.click()
    app.expect_counter(3, n)
    prev.click()
    app.expect_counter(2, n)

    app.blur()
    app.key("ArrowRight")
    app.expect_counter(3, n)
    app.key("ArrowLeft")
    app.key("ArrowLeft")
    app.expect_counter(1, n)
    app.key("End")
    app.expect_counter(n, n)
    app.key("ArrowRight")  # clamped at the end
    app.expect_counter(n, n)
    app.key("Home")
    app.expect_counter(0, n)
    app.key("ArrowLeft")  # clamped at the start
    app.expect_counter(0, n)


def test_chain_rule_at_the_edge_into_x(app):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    x = node_ids(graph, "x")
    k = next(i + 1 for i, s in enumerate(shown_steps(graph))
             if s["kind"] == "edge" and s["source"] == x)

    app.blur()
    for _ in range(k - 1):
        app.key("ArrowRight")
    app.expect_counter(k - 1, n)
    assert app.node_by_name("x")["shown_grad"] == ""  # not reached yet

    app.key("ArrowRight")
    app.expect_counter(k, n)
    text = app.chain_text()
    # upstream × local = contribution, with U+2212 minus signs
    assert f"{MINUS}4 \u00b7 1 = {MINUS}4" in text, text
    assert "-4" not in text, text  # never the short hyphen-minus
    lines = app.chain_lines()
    d, dot = "\u2202", "\u00b7"
    full = f"{d}f/{d}x = {d}f/{d}(x+y) {dot} {d}(x+y)/{d}x = {MINUS}4 {dot} 1 = {MINUS}4"
    assert full in lines, lines
    assert "Add gate" in text, text  # the gate pattern: add distributes
    assert app.node_by_name("x")["shown_grad"] == f"{MINUS}4"


def test_stepping_back_shows_what_stepping_forward_showed(app):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    app.blur()
    forward = [view_state(app)]
    for k in range(1, n + 1):
        app.key("ArrowRight")
        app.expect_counter(k, n)
        forward.append(view_state(app))
    assert len({s["chain"] for s in forward}) == n + 1  # every step says something new
    for k in range(n - 1, -1, -1):
        app.key("ArrowLeft")
        app.expect_counter(k, n)
        assert view_state(app) == forward[k], f"step {k} differs going back"


def test_play_and_pause(app):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    play = app.testid("play")
    speed = app.page.locator("#speed")

    # Space plays to the end (fast), then the play button is "play" again.
    speed.select_option("16")
    app.blur()
    app.key(" ")
    app.expect_counter(n, n)
    expect(play).to_have_attribute("aria-pressed", "false")

    # Space pauses (slow speed: 1.4 s per step leaves ample time to press it again).
    speed.select_option("0.5")
    app.blur()
    app.key("Home")
    app.expect_counter(0, n)
    app.key(" ")
    app.expect_counter(1, n)
    expect(play).to_have_attribute("aria-pressed", "true")
    app.key(" ")
    expect(play).to_have_attribute("aria-pressed", "false")
    app.page.wait_for_timeout(1600)
    app.expect_counter(1, n)  # paused: no further step

    # The play button itself.
    play.click()
    app.expect_counter(2, n)
    expect(play).to_have_attribute("aria-pressed", "true")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "false")
    app.expect_counter(2, n)


def test_fork_accumulates_the_gradient(app):
    """Staged computation: x feeds three ops; each edge into x adds its contribution, and
    the last running sum is x's gradient."""
    graph = app.choose_example("staged-forks")
    n = len(shown_steps(graph))
    x = node_ids(graph, "x")
    into_x = [i + 1 for i, s in enumerate(shown_steps(graph))
              if s["kind"] == "edge" and s["source"] == x]
    assert len(into_x) == 3
    x_grad = float(app.node_by_name("x")["grad"])
    assert abs(x_grad - 2.0596) < 5e-5

    app.blur()
    sums = []
    for k in range(1, n + 1):
        app.key("ArrowRight")
        app.expect_counter(k, n)
        if k in into_x:
            text = app.chain_text()
            assert "x is used 3 times" in text, text
            line = next(ln for ln in app.chain_lines() if ln.startswith("\u2202f/\u2202x += "))
            sums.append(line.rsplit("= ", 1)[1])
            # the graph shows the running sum under x (with its sign spelled out)
            shown = app.node_by_name("x")["shown_grad"]
            assert shown == sums[-1] or shown == "+" + sums[-1], (shown, sums[-1])
    assert sums[-1] == "2.06", sums
    assert len(set(sums)) == 3, sums


def test_the_arrow_keys_step_whatever_control_was_used_last(app):
    """After choosing a preset the focus is on the menu: → steps the timeline, it does not
    load the next preset. A checkbox too; only text fields keep their arrows."""
    app.choose_example("max-gate")
    menu = app.testid("examples")
    menu.focus()  # where a user's click or keys on the menu leave the focus
    _, n = app.counter()
    app.key("ArrowRight")
    app.expect_counter(1, n)
    expect(menu).to_have_value("max-gate")
    app.key("ArrowLeft")
    app.expect_counter(0, n)
    app.page.locator("#precision").focus()
    app.key("ArrowRight")
    app.expect_counter(1, n)
    expect(app.page.locator("#precision")).to_have_value("4")
    app.expression.focus()
    app.key("ArrowRight")  # moves the caret, not the timeline
    app.expect_counter(1, n)
