"""Tensors show their numbers: small heatmaps write each cell's value, every heatmap shares
one colour scale (one for values, one for gradients) explained by one legend, the wire of
the current step stands out in both passes and both themes, and gradients differ from
values by more than their place."""

import json

import pytest
from pagekit import MINUS, expect


def go_to(app, k: int):
    """Put the timeline at step k with the keys (Home, then →), waiting for each step."""
    app.blur()
    n = app.counter()[1]
    app.key("Home")
    app.expect_counter(0, n)
    for i in range(1, k + 1):
        app.key("ArrowRight")
        app.expect_counter(i, n)


def go_to_end(app):
    app.blur()
    n = app.counter()[1]
    app.key("End")
    app.expect_counter(n, n)


def mid_backward(graph) -> int:
    """A step halfway through the backward pass (after the seed)."""
    kinds = [s["kind"] for s in graph["steps"]]
    seed = kinds.index("seed")
    return seed + 1 + (len(kinds) - seed - 1) // 2


def shown(x: float) -> str:
    """A small integer as a cell shows it."""
    return f"{MINUS}{-int(x)}" if x < 0 else str(int(x))


def heat_numbers(app, name: str, kind: str) -> list[str]:
    return app.page.locator(f"[data-testid=node][data-name={json.dumps(name)}] "
                            f"g.{kind} text.heat-num").all_text_contents()


def flat(v):
    return [x for row in v for x in row] if isinstance(v[0], list) else list(v)


def test_small_tensor_cells_show_their_numbers(app):
    app.choose_example("matmul-gradients")
    go_to_end(app)
    w = app.node_by_name("W")
    value, grad = json.loads(w["value"]), json.loads(w["grad"])
    assert heat_numbers(app, "W", "heat-val") == [shown(x) for x in flat(value)]
    assert heat_numbers(app, "W", "heat-grad") == [shown(x) for x in flat(grad)]
    assert heat_numbers(app, "W", "heat-grad") == ["−1", "3", "−4", "−5", "2", "1"]  # G Xᵀ

    # Readable: at least 10 px on screen, inside its own cell, no two numbers overlapping.
    boxes = app.page.evaluate("""() => [...document.querySelectorAll('text.heat-num')].map(t => {
        const r = t.getBoundingClientRect();
        return {x0: r.left, x1: r.right, y0: r.top, y1: r.bottom,
                size: parseFloat(getComputedStyle(t).fontSize)
                      * t.getScreenCTM().a};
    })""")
    assert len(boxes) >= 6 + 12 + 8  # W, X and D at least (values; gradients too at the end)
    assert min(b["size"] for b in boxes) >= 10, boxes[:3]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]), \
                min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
            assert not (overlap[0] > 0.5 and overlap[1] > 0.5), (a, b)


def test_one_legend_with_the_shared_range(app):
    app.choose_example("matmul-gradients")
    legend = app.testid("heat-legend")
    expect(legend).to_have_count(1)
    expect(legend).to_be_visible()
    go_to_end(app)
    nodes = [n for n in app.nodes() if n["value"].startswith("[")]
    top_value = max(abs(x) for n in nodes for x in flat(json.loads(n["value"])))
    top_grad = max(abs(x) for n in nodes for x in flat(json.loads(n["grad"])))
    assert (top_value, top_grad) == (8, 6)  # D = W X reaches 8, ∂X = Wᵀ G reaches 6
    rows = legend.locator(".heat-row")
    expect(rows).to_have_count(2)
    value_row, grad_row = legend.locator(".heat-row.value"), legend.locator(".heat-row.grad")
    assert float(value_row.get_attribute("data-max")) == top_value
    assert float(grad_row.get_attribute("data-max")) == top_grad
    expect(value_row.locator(".heat-min")).to_have_text(f"{MINUS}8")
    expect(value_row.locator(".heat-max")).to_have_text("+8")
    expect(grad_row.locator(".heat-max")).to_have_text("+6")

    # One scale for every tensor: a cell's strength is |x| / 8 wherever it is, so W's 1 is
    # an eighth of D's 8 (not full strength, as when W was normalised on its own).
    strengths = app.page.evaluate("""() => {
        const cap = parseFloat(getComputedStyle(document.documentElement)
                               .getPropertyValue('--heat-cap'));
        return [...document.querySelectorAll('[data-testid=node] g.heat-val rect.cell')]
            .map(r => [r.querySelector('title').textContent,
                       parseFloat(getComputedStyle(r).fillOpacity) / cap]);
    }""")
    for text, strength in strengths:
        x = float(text.replace(MINUS, "-"))
        assert strength == pytest.approx(abs(x) / 8, abs=0.01), (text, strength)

    # At the start only the given tensors are known: the range is theirs (W, X reach 3).
    go_to(app, 0)
    expect(value_row).to_have_attribute("data-max", "3")
    expect(legend.locator(".heat-row.grad")).to_have_count(0)

    app.page.locator("#lang-toggle").click()
    expect(legend.locator(".heat-caption")).to_have_text("히트맵 색: 값과 기울기 각각 모든 텐서가 같은 척도")


def test_no_legend_without_heatmaps(app):
    app.choose_example("chain-rule")
    expect(app.testid("heat-legend")).to_be_hidden()


WIRE_STYLE = """sel => [...document.querySelectorAll(sel)].map(w => {
    const s = getComputedStyle(w);
    return s.stroke + ' ' + s.strokeWidth + ' ' + s.strokeOpacity;
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_current_wire_stands_out(new_app, scheme):
    app = new_app()
    app.page.emulate_media(color_scheme=scheme)
    app.open()
    expect(app.page.locator("html")).to_have_attribute("data-theme", scheme)
    graph = app.choose_example("mse-regression")
    page = app.page

    # Backward: the traversed edge is both done and current; it must not look done.
    go_to(app, mid_backward(graph))
    current = page.evaluate(WIRE_STYLE, "path.wire.active")
    done = page.evaluate(WIRE_STYLE, "path.wire.done:not(.active)")
    assert len(current) == 1 and done, (current, done)
    assert current[0] not in set(done), (current, done)
    assert current[0].split()[-1] == "1"  # fully opaque, unlike the done wires

    # Forward: the wires into the node being computed.
    kinds = [s["kind"] for s in graph["steps"]]
    go_to(app, kinds.index("node") + 1)
    current = page.evaluate(WIRE_STYLE, "path.wire.active")
    pending = page.evaluate(WIRE_STYLE, "path.wire:not(.active)")
    assert current and pending
    assert not set(current) & set(pending), (current, pending)


def test_gradients_differ_from_values_by_more_than_place(app):
    app.choose_example("chain-rule")
    go_to_end(app)
    style = app.page.evaluate("""() => [...document.querySelectorAll('[data-testid=node]')]
        .filter(n => n.querySelector('text.grd').textContent)
        .map(n => {
            const val = n.querySelector('text.val'), grd = n.querySelector('text.grd');
            const mark = n.querySelector('text.grd-mark');
            return {val: getComputedStyle(val).fontStyle + getComputedStyle(val).fontWeight,
                    grd: getComputedStyle(grd).fontStyle + getComputedStyle(grd).fontWeight,
                    mark: mark.textContent,
                    gap: grd.getBoundingClientRect().left - mark.getBoundingClientRect().right};
        })""")
    assert style
    for s in style:
        assert s["val"] != s["grd"] and s["grd"].startswith("italic"), s
        assert s["mark"] == "∂", s
        assert 0 <= s["gap"] < 8, s  # just left of the number, not on it


@pytest.mark.parametrize("example", ["matmul-gradients", "input-scaling"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_mid_backward_and_done(new_app, shots, example, scheme):
    app = new_app(viewport={"width": 1400, "height": 900})
    app.page.emulate_media(color_scheme=scheme)
    app.open()
    graph = app.choose_example(example)
    go_to(app, mid_backward(graph))
    expect(app.page.locator("path.wire.active")).to_have_count(1)
    app.shot(shots / f"tensors-{example}-{scheme}-mid-backward.png")
    go_to_end(app)
    app.shot(shots / f"tensors-{example}-{scheme}-done.png")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_heatmaps_and_legend_pass_axe(new_app, scheme):
    from test_page_a11y import axe_violations, describe

    app = new_app()
    app.page.emulate_media(color_scheme=scheme)
    app.open()
    app.choose_example("matmul-gradients")
    go_to_end(app)
    expect(app.testid("heat-legend")).to_be_visible()
    violations = axe_violations(app)
    assert not violations, f"{scheme}:\n{describe(violations)}"
