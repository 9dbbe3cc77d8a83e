"""Practice and compare: the learner predicts each gradient (keyboard only), meets a classic
mistake computed by the engine, and steps two graphs side by side. Expected numbers come
from the API's answer, never from the page."""

from pagekit import MINUS, expect, shown_steps


def typed(x: float) -> str:
    """A number as a learner types it (ASCII minus, no trailing zeros)."""
    return f"{x:.6g}"


def test_practice_with_one_wrong_answer_then_its_retry(app, shots):
    graph = app.choose_example("chain-rule")
    steps = shown_steps(graph)
    asked = [k for k, s in enumerate(steps, 1) if s["kind"] == "edge"]
    assert len(asked) >= 3
    app.testid("practice-toggle").check()
    app.blur()
    app.key("Home")
    score = app.testid("practice-score")
    expect(score).to_have_text("0 / 0")
    wrong_k = asked[1]
    for k in range(1, len(steps) + 1):
        app.key("ArrowRight")
        app.expect_counter(k, len(steps))
        if k not in asked:
            expect(app.testid("practice-input")).to_have_count(0)
            continue
        box = app.testid("practice-input")
        expect(box).to_be_visible()
        # The number is hidden until answered: no wire shows the contribution yet.
        assert app.page.locator("text.wire-grad").evaluate_all(
            "ts => ts.filter(t => t.textContent).length") == 0
        answer = steps[k - 1]["contribution"]
        box.click()
        box.fill(typed(answer + 1) if k == wrong_k else typed(answer))
        box.press("Enter")  # Enter checks
        feedback = app.testid("practice-feedback")
        expect(feedback).to_have_attribute("data-correct", "false" if k == wrong_k else "true")
        if k == wrong_k:
            # A wrong answer shows the chain-rule line that gives the right one.
            expect(app.chain_el).to_contain_text(f"= {typed(answer).replace('-', MINUS)}")
            app.shot(shots / "practice-wrong.png")
        expect(app.testid("practice-next")).to_be_focused()
    expect(score).to_have_text(f"{len(asked) - 1} / {len(asked)}")

    # "Practise the one I got wrong": back to that step, answered right this time; the
    # score counts first tries, so it stays.
    app.testid("practice-retry").click()
    app.expect_counter(wrong_k, len(steps))
    box = app.testid("practice-input")
    box.fill(typed(steps[wrong_k - 1]["contribution"]))
    app.testid("practice-check").click()
    expect(app.testid("practice-feedback")).to_have_attribute("data-correct", "true")
    expect(score).to_have_text(f"{len(asked) - 1} / {len(asked)}")


def test_hints_come_one_at_a_time_and_typing_mistakes_are_not_tries(app):
    graph = app.choose_example("sigmoid-neuron")
    steps = shown_steps(graph)
    app.testid("practice-toggle").check()
    k = next(i for i, s in enumerate(steps, 1) if s["kind"] == "edge")
    app.blur()
    for _ in range(k):
        app.key("ArrowRight")
    hints = app.page.locator(".practice-hint-text")
    for n in (1, 2, 3):
        app.testid("practice-hint").click()
        expect(hints).to_have_count(n)
    expect(app.testid("practice-hint")).to_have_count(0)
    assert "σ" in hints.nth(1).text_content() or "sigmoid" in hints.nth(1).text_content()
    box = app.testid("practice-input")
    box.fill("alert(1)")
    box.press("Enter")
    expect(app.page.locator(".practice-error")).to_be_visible()
    expect(app.testid("practice-feedback")).to_have_count(0)
    expect(app.testid("practice-score")).to_have_text("0 / 0")
    # Practice off: the exercise, the score and its options are gone, the numbers are back.
    app.testid("practice-toggle").uncheck()
    expect(app.testid("practice-input")).to_have_count(0)
    expect(app.testid("practice-score")).to_be_hidden()
    expect(app.page.locator("#practice-forward")).to_be_hidden()


def test_overwrite_at_forks_shows_the_wrong_and_the_right_gradients(app, shots):
    app.choose_example("staged-forks")
    graph = app.run(lambda: app.testid("mistake-select").select_option("overwrite_at_forks"))
    info = graph["mistake"]
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert {names[i] for i in info["wrong_nodes"] if names[i]} == {"x", "y"}
    card = app.testid("mistake-card")
    expect(card).to_be_visible()
    rows = {r[0]: r[1:] for r in (line.split("\t") for line in card.locator("table").inner_text().splitlines()[1:])}
    for name in ("x", "y"):
        wrong = next(n["grad"] for n in graph["nodes"] if n["name"] == name)
        right = info["right_gradients"][name]
        assert abs(wrong - right) > 1e-3  # the mistake matters here ...
        shown_wrong, shown_right = (float(v.replace(MINUS, "-")) for v in rows[name])
        assert abs(shown_wrong - wrong) <= 1e-3 * abs(wrong) and abs(shown_right - right) <= 1e-3 * abs(right)
    # ... and is marked: the two variables, and every wire whose contribution was lost.
    expect(app.page.locator("[data-testid=node].wrong")).to_have_count(2)
    expect(app.page.locator("g.edge.dropped")).to_have_count(len(info["dropped_edges"]))
    app.blur()
    app.key("End")
    app.page.locator(".graph-wrap").screenshot(path=str(shots / "mistake-overwrite.png"))
    # The gradient check catches it.
    app.testid("gradcheck-button").click()
    expect(app.testid("gradcheck-result").locator(".verdict")).to_have_class("verdict fail")


def test_side_by_side_block_and_gates_step_together_and_agree(app, shots):
    graph = app.choose_example("sigmoid-neuron")
    n = len(shown_steps(graph))
    with app.page.expect_response(lambda r: r.url.endswith("/api/graph")) as other:
        app.testid("compare-toggle").check()
    expanded = other.value.json()
    panes = app.testid("compare-pane")
    expect(panes).to_have_count(2)
    expect(panes.nth(1).locator("[data-testid=node]")).to_have_count(len(expanded["nodes"]))
    assert len(expanded["nodes"]) > len(graph["nodes"])
    app.blur()
    app.key("Home")
    app.key("ArrowRight")  # one step of the main pane steps the other one too
    expect(panes.nth(1).locator("[data-testid=node].active")).not_to_have_count(0)
    app.key("End")
    app.expect_counter(n, n)
    grads = [{nd.get_attribute("data-name"): float(nd.get_attribute("data-grad"))
              for nd in pane.locator("[data-testid=node][data-kind=variable]").all()} for pane in panes.all()]
    assert grads[0].keys() == grads[1].keys() == set(graph["gradients"])
    for name, g in grads[0].items():
        assert abs(g - grads[1][name]) <= 1e-12 * max(1, abs(g)), name
    expect(app.testid("compare-summary")).to_have_text("Same gradients.")
    app.page.locator(".graph-wrap").screenshot(path=str(shots / "side-by-side.png"))

    # ×1000 on one input: the other pane differs, and says where.
    with app.page.expect_response(lambda r: r.url.endswith("/api/graph")):
        app.page.locator("#compare-mode").select_option("scale")
    expect(app.testid("compare-summary")).to_contain_text("Different")
    expect(app.page.locator("[data-testid=node].differs")).not_to_have_count(0)


def test_export_as_pytorch_gives_the_script_of_the_graph_shown(app, tmp_path):
    graph = app.choose_example("chain-rule")
    with app.page.expect_download() as info:
        app.testid("export-torch").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".py"
    script = path.read_text("utf-8")
    compile(script, str(path), "exec")  # our own output: valid Python
    assert "import torch" in script and ".backward()" in script
    for name in graph["gradients"]:
        assert f'print("{name}.grad =", {name}.grad.tolist())' in script
