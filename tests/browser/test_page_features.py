"""Language switch, the examples menu, expanding σ, gradient check, share link, SVG export."""

import json
import math
import xml.etree.ElementTree as ET

from pagekit import HANGUL, MINUS, TUTORIAL, TUTORIAL_VALUES, enter_tutorial, expect, shown_steps

SVG_NS = "{http://www.w3.org/2000/svg}"


def test_language_switch(app, shots):
    html = app.page.locator("html")
    run_button = app.testid("run-button")
    expect(html).to_have_attribute("lang", "en")
    expect(run_button).to_have_text("Run")

    app.blur()
    app.key("ArrowRight")  # the first forward event of the chain-rule preset
    app.expect_counter(1, app.counter()[1])
    english = app.chain_lines()
    assert not HANGUL.search(english[0]), english
    assert english[1] == f"q = x + y = {MINUS}2 + 5 = 3", english

    app.testid("lang-toggle").click()
    expect(html).to_have_attribute("lang", "ko")
    expect(run_button).not_to_have_text("Run")
    assert HANGUL.search(run_button.text_content()), run_button.text_content()
    expect(app.testid("lang-toggle")).to_have_text("English")
    korean = app.chain_lines()
    assert HANGUL.search(korean[0]), korean  # the sentence is Korean ...
    assert korean[1:] == english[1:]  # ... the arithmetic is the same
    options = app.page.eval_on_selector_all("[data-testid=examples] option[value]:not([value=''])",
                                            "os => os.map(o => o.textContent)")
    assert all(HANGUL.search(o) for o in options), options

    # A backward edge: the chain-rule sentence and the gate pattern in Korean too.
    app.key("End")
    n = app.counter()[1]
    app.expect_counter(n, n)
    lines = app.chain_lines()
    assert HANGUL.search(lines[0]) and "연쇄법칙" in lines[0], lines
    assert HANGUL.search(lines[-1]) and "게이트" in lines[-1], lines  # the gate pattern
    app.shot(shots / "korean.png")

    app.testid("lang-toggle").click()
    expect(html).to_have_attribute("lang", "en")
    expect(run_button).to_have_text("Run")
    assert not HANGUL.search(app.chain_text()), app.chain_text()


def test_every_preset_runs(app):
    options = app.page.eval_on_selector_all(
        "[data-testid=examples] option",
        "os => os.map(o => ({value: o.value, label: o.textContent}))")
    presets = [o for o in options if o["value"]]
    assert len(presets) >= 12, presets
    current = app.testid("examples").input_value()
    presets.sort(key=lambda o: o["value"] == current)  # the loaded one last: a real change
    for preset in presets:
        graph = app.choose_example(preset["value"])
        where = f"preset {preset['value']!r}"
        expect(app.error_el).to_have_text("")
        expect(app.expression).to_have_value(graph["expression"])
        if app.page.locator(".node.collapsed").count():  # a big graph opens with boxes
            app.testid("group-toggle").click()
            expect(app.page.locator(".node.collapsed")).to_have_count(0)
        nodes = app.nodes()
        assert len(nodes) == len(graph["nodes"]) > 0, where
        assert [nd["id"] for nd in nodes] == [nd["id"] for nd in graph["nodes"]], where
        n = len(shown_steps(graph))
        assert n > 0, where
        app.expect_counter(0, n)
        expect(app.page.locator("#explanation")).to_be_visible()
        app.blur()
        app.key("End")  # draw the final state too (tensor heatmaps, wire gradients)
        app.expect_counter(n, n)
        assert app.guard.flush() == [], where


SIGMOID_GRADS = {"w0": -0.1966, "w1": -0.3932, "w2": 0.1966, "x0": 0.3932, "x1": -0.5898}


def test_expand_sigmoid(app, shots):
    app.choose_example("sigmoid-neuron")
    expand = app.page.locator("#expand")
    expect(expand).not_to_be_checked()
    atomic = app.nodes()
    grads = {v: float(app.node_by_name(v)["grad"]) for v in SIGMOID_GRADS}
    for name, expected in SIGMOID_GRADS.items():
        assert abs(grads[name] - expected) < 5e-5, (name, grads[name])
    assert app.page.locator(".block-box").count() == 0

    graph = app.run(lambda: expand.check())
    expanded = app.nodes()
    assert len(expanded) > len(atomic), (len(atomic), len(expanded))
    assert any(nd.get("block") for nd in graph["nodes"])
    assert app.page.locator(".block-box").count() >= 1  # the σ block is framed
    for name in SIGMOID_GRADS:
        g = float(app.node_by_name(name)["grad"])
        assert math.isclose(g, grads[name], rel_tol=1e-9), (name, g, grads[name])
    out_before = next(nd for nd in atomic if nd["name"] == "f")
    out_after = next(nd for nd in expanded if nd["name"] == "f")
    assert math.isclose(float(out_after["value"]), float(out_before["value"]), rel_tol=1e-12)
    app.blur()
    app.key("End")
    app.shot(shots / "sigmoid-expanded.png")


def test_gradient_check(app):
    result = app.testid("gradcheck-result")
    with app.page.expect_response(lambda r: r.url.endswith("/api/gradcheck")) as resp:
        app.testid("gradcheck-button").click()
    report = resp.value.json()
    rows = result.locator("tr[data-variable]")
    expect(rows).to_have_count(3)
    assert [r.get_attribute("data-variable") for r in rows.all()] == ["x", "y", "z"]
    assert list(report["variables"]) == ["x", "y", "z"]
    cells = rows.first.locator("td").all_text_contents()
    assert cells[:2] == ["x", f"{MINUS}4"], cells  # backprop ∂f/∂x of the chain-rule preset
    evals = report["forward_evals"]
    assert isinstance(evals, int) and evals > 0
    cost = result.locator(".cost")
    expect(cost).to_contain_text(str(evals))
    expect(result.locator(".verdict")).to_have_class("verdict pass")


def test_share_link_restores_expression_values_and_step(app, new_app):
    graph = enter_tutorial(app)
    n = len(shown_steps(graph))
    k = 4
    for _ in range(k):
        app.testid("step-next").click()
    app.expect_counter(k, n)
    chain = app.chain_text()
    url = app.share_link()
    assert "#s=" in url

    other = new_app()
    other.open(url)
    expect(other.expression).to_have_value(TUTORIAL)
    for name, text in TUTORIAL_VALUES.items():
        expect(other.value_input(name)).to_have_value(text)
    other.expect_counter(k, n)
    assert other.chain_text() == chain
    assert [nd["shown_grad"] for nd in other.nodes()] == [nd["shown_grad"] for nd in app.nodes()]


def test_export_svg(app, tmp_path):
    app.blur()
    app.key("End")
    page_nodes = app.nodes()
    with app.page.expect_download() as info:
        app.page.locator("#export-svg").click()
    download = info.value
    assert download.suggested_filename.endswith(".svg")
    path = tmp_path / "graph.svg"
    download.save_as(path)
    root = ET.parse(path).getroot()  # well-formed XML
    assert root.tag == f"{SVG_NS}svg", root.tag
    assert root.get("viewBox")
    nodes = [el for el in root.iter() if el.get("data-testid") == "node"]
    assert [el.get("data-node-id") for el in nodes] == [nd["id"] for nd in page_nodes]
    labels = "".join(root.itertext())
    assert f"{MINUS}12" in labels and f"{MINUS}4" in labels  # the values and gradients shown

    # A tensor preset: the heatmaps' cells, numbers and frames are styled in the file too
    # (it has no page CSS): every drawn class the page's CSS styles has a rule in its <style>.
    app.choose_example("matmul-gradients")
    app.blur()
    app.key("End")
    with app.page.expect_download() as info:
        app.page.locator("#export-svg").click()
    info.value.save_as(path)
    root = ET.parse(path).getroot()
    style = "".join(el.text or "" for el in root.iter(f"{SVG_NS}style"))
    drawn = {c for el in root.iter() for c in (el.get("class") or "").split()}
    assert {"heat-num", "cell", "heat-frame", "grd-mark"} <= drawn, drawn
    page_styled = set(app.page.evaluate("""() => [...document.styleSheets]
        .filter((sheet) => sheet.href?.includes('/static/style.css'))
        .flatMap((sheet) => [...sheet.cssRules].map((rule) => rule.selectorText ?? ''))
        .flatMap((selector) => [...selector.matchAll(/\\.([\\w-]+)/g)].map((m) => m[1]))"""))
    unstyled = sorted(c for c in drawn & page_styled if f".{c}" not in style)
    assert not unstyled, f"classes without a rule in the exported SVG: {unstyled}"


def test_export_png_and_json(app, tmp_path):
    with app.page.expect_download() as info:
        app.page.locator("#export-png").click()
    png = tmp_path / "graph.png"
    info.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, data[:16]

    with app.page.expect_download() as info:
        app.page.locator("#export-json").click()
    path = tmp_path / "graph.json"
    info.value.save_as(path)
    graph = json.loads(path.read_text())
    assert [n["id"] for n in graph["nodes"]] == [n["id"] for n in app.nodes()]
    assert len(shown_steps(graph)) == app.counter()[1]


def test_the_examples_menu_follows_the_tutorial_numbered(app):
    groups = app.page.eval_on_selector_all("[data-testid=examples] optgroup",
                                           "gs => gs.map(g => g.label)")
    numbers = [int(label.split(")")[0]) for label in groups]
    assert numbers == sorted(numbers) and numbers[0] == 1, groups
    assert "4) Chain rule and the computation graph" in groups
    # the page opens on the tutorial's first worked example, not on the menu's first entry
    expect(app.testid("examples")).to_have_value("chain-rule")


def test_a_presets_seed_goes_with_the_preset(app):
    """Load "add gate with upstream −4", type x * y and Run: ∂f/∂x is y = 5, not −20."""
    app.choose_example("add-gate-upstream")
    expect(app.page.locator("#output-grad")).to_have_value("-4")
    app.type_expression("x * y", ["x", "y"])
    expect(app.page.locator("#output-grad")).to_have_value("")
    app.run()
    x, y = app.node_by_name("x"), app.node_by_name("y")
    assert float(x["grad"]) == float(y["value"]) == 5.0


def test_a_given_seed_is_said_on_the_graph(app):
    note = app.testid("seed-note")
    app.choose_example("add-gate-upstream")
    expect(note).to_be_visible()
    expect(note).to_have_text(f"Given upstream gradient: ∂L/∂f = {MINUS}4")
    app.choose_example("chain-rule")
    expect(note).to_be_hidden()


def test_constants_get_no_gradient_steps_unless_asked(app):
    """The expanded sigmoid has the constants 1 and 1: no step sends a gradient to them by
    default; the toggle adds those steps back."""
    app.choose_example("sigmoid-neuron-expanded")
    _, hidden = app.counter()
    graph = app.run(lambda: app.testid("constants-toggle").check())
    constants = {n["id"] for n in graph["nodes"] if n["kind"] == "constant"}
    into_constants = [s for s in graph["steps"] if s["kind"] == "edge" and s["source"] in constants]
    assert len(into_constants) == 2
    app.expect_counter(0, hidden + len(into_constants))


def test_an_edge_step_typesets_the_local_derivative(app):
    app.choose_example("sigmoid-neuron")
    app.blur()
    for _ in range(7):  # the edge into the weighted sum: σ's own local derivative
        app.key("ArrowRight")
    panel = app.chain_el
    expect(panel.locator(".formula .katex")).to_have_count(1)
    expect(panel).to_contain_text("σ·(1 − σ) = 0.7311·(1 − 0.7311) = 0.1966")
    assert "#" not in panel.text_content()
