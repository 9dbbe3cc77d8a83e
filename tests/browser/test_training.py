"""The training lab in the page: train the regression preset and watch the loss fall,
overlay optimizers, step single updates with their arithmetic, Reset to the exact initial
values, pause, the input-scaling experiment, the panel in Korean and on a phone, and ten
Train/Pause cycles in a row that leave the server able to answer (issue 8).

Uses the page fixtures of conftest.py (real server, Debian chromium, every page guarded
against page errors, console errors and requests off the origin). Screenshots go to
/tmp/train-shots/.
"""

import json
import math
from pathlib import Path

import pytest

from pagekit import HANGUL, MINUS, expect, watch_texts

PRESET = "train-linear-regression"
SHOTS = Path("/tmp/train-shots")

RUNS_JS = """() => [...document.querySelectorAll('[data-testid=loss-chart] path.run')].map(p => ({
    optimizer: p.dataset.optimizer, lr: Number(p.dataset.lr), points: Number(p.dataset.points),
    first: Number(p.dataset.firstLoss), last: Number(p.dataset.lastLoss), state: p.dataset.state,
    segments: (p.getAttribute('d') || '').split('L').length - 1, d: p.getAttribute('d') || ''}))"""

SETTLED_JS = """([n, points]) => {
    const runs = [...document.querySelectorAll('[data-testid=loss-chart] path.run')];
    const button = document.querySelector('[data-testid=train-button]');
    return runs.length === n && !button.disabled
        && runs.every(p => p.dataset.state !== 'running')
        && (points === null || runs.at(-1).dataset.points === String(points));
}"""


@pytest.fixture(scope="module")
def train_shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def load_preset(app) -> dict:
    """Choose the linear-regression training preset; its entry from /api/examples."""
    app.choose_example(PRESET)
    examples = app.page.evaluate("fetch('/api/examples').then(r => r.json())")
    preset = next(e for e in examples if e["id"] == PRESET)
    expect(app.testid("train-param-w")).to_be_checked()
    return preset


def shot_card(app, path: Path):
    """Screenshot the training card whole: on wide screens the left column scrolls inside
    a window-high page, so the window grows to the column's height for the shot."""
    size = app.page.viewport_size
    need = app.page.evaluate("""() => {
        const side = document.querySelector('.left');
        return Math.ceil(side.getBoundingClientRect().top + side.scrollHeight + 40); }""")
    if need > size["height"]:
        app.page.set_viewport_size({"width": size["width"], "height": need})
    app.page.locator("#train-card").screenshot(path=str(path))
    app.page.set_viewport_size(size)


def runs(app) -> list[dict]:
    return app.page.evaluate(RUNS_JS)


def wait_settled(app, n: int, points: int | None = None):
    """n runs on the chart, none running (the last with `points` points), the panel idle."""
    app.page.wait_for_function(SETTLED_JS, arg=[n, points])
    expect(app.testid("run-button")).to_be_enabled()


def train(app, n: int, points: int | None = None):
    app.testid("train-button").click()
    wait_settled(app, n, points)


def values(app, names) -> dict:
    return {name: app.value_input(name).input_value() for name in names}


def wait_value(app, name: str, predicate_js: str):
    """Wait until value-input-<name> satisfies `v => ...` (v is its number)."""
    app.page.wait_for_function(
        f"""() => {{ const box = document.querySelector('[data-testid=value-input-{name}]');
                   const v = Number(box && box.value); return ({predicate_js})(v); }}""")


def fmt(x: float) -> str:
    """The page's formatNumber(x, 4) for 1e-4 ≤ |x| < 1e4 (4 significant digits, "−")."""
    assert 1e-4 <= abs(x) < 1e4
    s = f"{abs(x):.4g}"
    return (MINUS if x < 0 else "") + s


def test_training_the_regression_preset_makes_the_loss_fall(app, train_shots):
    preset = load_preset(app)
    steps = preset["train"]["steps"]
    for name, ticked in {"w": True, "b": True, "X": False, "Y": False}.items():
        box = app.testid(f"train-param-{name}")
        (expect(box).to_be_checked if ticked else expect(box).not_to_be_checked)()
    expect(app.testid("train-optimizer")).to_have_value(preset["train"]["optimizer"]["name"])
    expect(app.testid("train-lr")).to_have_value(str(preset["train"]["optimizer"]["lr"]))
    expect(app.testid("train-steps")).to_have_value(str(steps))
    assert app.testid("loss-chart").locator("path.run").count() == 0

    train(app, 1, steps)
    [run] = runs(app)
    assert run["optimizer"] == "sgd" and run["lr"] == 0.1
    assert run["segments"] == steps - 1  # one point per update: the chart filled in
    assert run["first"] == pytest.approx(4.81, abs=0.01)  # the preset's explanation
    assert run["last"] == pytest.approx(0.019, abs=0.002)
    assert run["last"] < run["first"] / 100
    expect(app.testid("train-status")).to_contain_text("Done")
    expect(app.testid("train-legend").locator("li")).to_have_count(1)

    # The graph shows the trained parameters (w ≈ 2.00, b ≈ 1.01 per the explanation).
    wait_value(app, "w", "v => Math.abs(v - 2.0) < 0.02")
    wait_value(app, "b", "v => Math.abs(v - 1.01) < 0.02")
    assert float(app.node_by_name("w")["value"]) == pytest.approx(2.0, abs=0.02)
    expect(app.testid("train-current")).to_contain_text("w")

    # Two scalar parameters: the loss landscape with the run's path on it.
    landscape = app.testid("landscape")
    expect(landscape).to_be_visible()
    expect(landscape.locator("path.path")).to_have_count(1)
    assert landscape.locator("path.band").count() >= 5

    # The log scale redraws the same points on another axis.
    before = run["d"]
    app.page.locator("#train-log").check()
    app.page.wait_for_function("d => document.querySelector('[data-testid=loss-chart] path.run')"
                               ".getAttribute('d') !== d", arg=before)
    assert runs(app)[0]["segments"] == steps - 1
    shot_card(app, train_shots / "trained-log.png")
    app.page.locator("#train-log").uncheck()
    shot_card(app, train_shots / "trained.png")


def test_two_optimizers_overlay_from_the_same_start(app, train_shots):
    preset = load_preset(app)
    steps = preset["train"]["steps"]
    train(app, 1, steps)
    app.testid("train-optimizer").select_option("momentum")
    expect(app.page.locator("#train-momentum")).to_be_visible()
    train(app, 2, steps)

    sgd, momentum = runs(app)
    assert (sgd["optimizer"], momentum["optimizer"]) == ("sgd", "momentum")
    assert momentum["first"] == sgd["first"]  # every run starts from the initial values
    assert momentum["last"] < momentum["first"] / 10
    classes = app.page.eval_on_selector_all("[data-testid=loss-chart] path.run",
                                            "ps => ps.map(p => p.getAttribute('class'))")
    assert "opt-sgd" in classes[0] and "opt-momentum" in classes[1], classes
    expect(app.testid("train-legend").locator("li")).to_have_count(2)
    expect(app.testid("landscape").locator("path.path")).to_have_count(2)
    shot_card(app, train_shots / "overlay.png")

    app.page.locator("#train-clear").click()
    expect(app.testid("loss-chart").locator("path.run")).to_have_count(0)


def test_single_update_shows_the_arithmetic(app, train_shots):
    preset = load_preset(app)
    xs, ys = preset["values"]["X"][0], preset["values"]["Y"][0]
    n = len(xs)
    # An independent reference: at w = b = 0, dL/dw = -2/N Σ y·x and dL/db = -2/N Σ y.
    g_w = -2 / n * sum(x * y for x, y in zip(xs, ys))
    g_b = -2 / n * sum(ys)
    lr = preset["train"]["optimizer"]["lr"]
    box = app.testid("update-arithmetic")
    expect(box).to_be_hidden()

    app.page.locator("#train-step").click()
    expect(box).to_be_visible()
    expect(box).to_contain_text("←")
    text = box.inner_text()
    assert f"w ← w − η·g = 0 − {lr:g} · ({fmt(g_w)}) = {fmt(-lr * g_w)}" in text, text
    assert f"b ← b − η·g = 0 − {lr:g} · ({fmt(g_b)}) = {fmt(-lr * g_b)}" in text, text
    wait_value(app, "w", f"v => Math.abs(v - {-lr * g_w!r}) < 1e-12")
    wait_settled(app, 1, 1)

    # The next single update continues from there: update 2, and a 2-point "run".
    app.page.locator("#train-step").click()
    expect(box).to_contain_text("Update 2")
    wait_settled(app, 1, 2)

    # Adam shows m, v and the bias-corrected m̂, v̂.
    app.testid("train-optimizer").select_option("adam")
    app.page.locator("#train-step").click()
    expect(box).to_contain_text("m̂")
    for formula in ("m ← β1·m + (1−β1)·g", "v ← β2·v + (1−β2)·g²", "v̂ = v / (1−β2¹)",
                    "w ← w − η·m̂ / (√v̂ + ε)"):
        expect(box).to_contain_text(formula)
    wait_settled(app, 2)
    box.screenshot(path=str(train_shots / "update-adam.png"))

    # The arithmetic's sentence follows the language; the numbers stay.
    app.testid("lang-toggle").click()
    expect(app.page.locator("html")).to_have_attribute("lang", "ko")
    assert HANGUL.search(box.inner_text())
    assert HANGUL.search(app.testid("train-button").text_content())
    expect(box).to_contain_text("m̂")
    shot_card(app, train_shots / "korean.png")


def test_reset_restores_the_initial_values_exactly(app, train_shots):
    preset = load_preset(app)
    names = ["w", "b", "X", "Y"]
    initial = values(app, names)
    steps = preset["train"]["steps"]

    train(app, 1, steps)
    wait_value(app, "w", "v => v > 1")
    first_run = runs(app)[0]
    app.page.locator("#train-step").click()
    wait_settled(app, 2)
    assert values(app, names)["w"] != initial["w"]

    app.page.locator("#train-reset").click()
    app.page.wait_for_function(
        """init => Object.entries(init).every(([k, v]) =>
             document.querySelector(`[data-testid=value-input-${k}]`).value === v)""", arg=initial)
    wait_settled(app, 0)
    assert values(app, names) == initial
    expect(app.testid("update-arithmetic")).to_be_hidden()
    expect(app.testid("train-status")).to_contain_text("initial")

    # The same start replays exactly.
    train(app, 1, steps)
    replay = runs(app)[0]
    assert (replay["first"], replay["last"], replay["d"]) == \
        (first_run["first"], first_run["last"], first_run["d"])


def test_a_problem_that_cannot_train_says_why(app):
    app.guard.allow_http_error("/api/train", 422)
    app.choose_example("matmul-gradients")  # D = W X: a matrix, not a scalar loss
    expect(app.testid("train-param-W")).to_be_checked()
    expect(app.testid("train-param-X")).not_to_be_checked()
    app.testid("train-button").focus()
    app.key("Enter")  # keyboard: the focused button trains
    expect(app.testid("train-status")).to_contain_text("scalar")
    wait_settled(app, 0)

    app.testid("train-param-W").uncheck()
    app.testid("train-button").click()
    expect(app.testid("train-status")).to_have_text("Choose at least one parameter to train.")
    app.testid("train-param-W").check()
    app.testid("train-lr").fill("-1")
    app.testid("train-button").click()
    expect(app.testid("train-lr")).to_have_attribute("aria-invalid", "true")
    expect(app.testid("train-status")).to_contain_text("Learning rate")


def test_pause_keeps_the_run_so_far(app):
    load_preset(app)
    app.testid("train-steps").fill("10000")
    app.testid("train-lr").fill("0.001")
    app.testid("train-button").click()
    app.page.wait_for_function("() => Number(document.querySelector("
                               "'[data-testid=loss-chart] path.run')?.dataset.points) > 0")
    app.page.locator("#train-pause").click()
    wait_settled(app, 1)
    [run] = runs(app)
    assert run["state"] == "paused", run
    assert 0 < run["points"] < 10000
    expect(app.testid("train-status")).to_contain_text("Paused")
    expect(app.page.locator("#train-pause")).to_be_disabled()


def test_scaling_an_input_blows_up_the_gradient_and_training(app, train_shots):
    preset = load_preset(app)
    steps = preset["train"]["steps"]
    initial_x = app.value_input("X").input_value()
    app.page.locator("#train-scale-toggle").click()
    expect(app.testid("train-scale-var")).to_have_value("X")
    app.testid("train-scale-k").select_option("1000")
    app.page.locator("#train-scale-apply").click()
    ratio = app.page.locator("[data-testid=train-scale-result] p[data-param=w]")
    expect(ratio).to_be_visible()
    # At w = b = 0 the residual does not depend on X, so ∇w is exactly 1000× larger.
    assert float(ratio.get_attribute("data-ratio")) == pytest.approx(1000, rel=1e-9)
    wait_value(app, "w", "v => v === 0")
    app.page.wait_for_function("() => document.querySelector('[data-testid=value-input-X]')"
                               ".value.includes('-1500')")

    # Same η: the loss diverges.
    train(app, 1)
    [run] = runs(app)
    assert run["state"] == "diverged", run
    assert run["points"] < steps
    expect(app.testid("train-status")).to_contain_text("diverged")
    app.page.locator("#train-log").check()
    expect(app.testid("landscape").locator("path.path")).to_have_count(1)
    shot_card(app, train_shots / "diverged.png")

    # Standardising the input fixes it at the same η.
    app.page.locator("#train-standardise").click()
    app.page.wait_for_function("() => !document.querySelector('[data-testid=value-input-X]')"
                               ".value.includes('1500')")
    standardised = json.loads(app.value_input("X").input_value())[0]
    mean = sum(standardised) / len(standardised)
    std = math.sqrt(sum((v - mean) ** 2 for v in standardised) / len(standardised))
    assert mean == pytest.approx(0, abs=1e-12) and std == pytest.approx(1, abs=1e-12)
    train(app, 2, steps)
    fixed = runs(app)[1]
    assert fixed["state"] == "done" and fixed["last"] < fixed["first"] / 10

    app.page.locator("#train-reset").click()
    app.page.wait_for_function("x => document.querySelector('[data-testid=value-input-X]').value === x",
                               arg=initial_x)


def test_the_panel_fits_a_phone(new_app, train_shots):
    app = new_app(viewport={"width": 390, "height": 844})
    app.open()
    preset = load_preset(app)
    train(app, 1, preset["train"]["steps"])
    card = app.page.locator("#train-card")
    card.scroll_into_view_if_needed()
    for testid in ("loss-chart", "train-button", "landscape"):
        box = app.testid(testid).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (testid, box)
    overflow = app.page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, overflow
    shot_card(app, train_shots / "phone.png")


# Issue 8: Pause drops the NDJSON stream of /api/train mid-way. That used to leak a server
# worker each time, so after two Train/Pause cycles every request got 503 "the server is
# busy" for good.
CYCLES = 10

# The newest run on the loss chart, the panel's buttons and its status line, as one object.
PANEL_JS = """() => {
    const runs = [...document.querySelectorAll('[data-testid=loss-chart] path.run')];
    const last = runs.at(-1);
    return { runs: runs.length, state: last?.dataset.state ?? null,
             points: last ? Number(last.dataset.points) : 0,
             drawn: Boolean(last?.getAttribute('d')),
             train: !document.querySelector('[data-testid=train-button]').disabled,
             pause: !document.querySelector('#train-pause').disabled,
             status: document.querySelector('[data-testid=train-status]').textContent };
}"""

# Run `n` is streaming (it has drawn a point and Pause can stop it), or it has ended anyway
# (say with an error): whichever comes first, so a failure says what the page showed.
STREAMING_OR_ENDED_JS = """n => {
    const runs = [...document.querySelectorAll('[data-testid=loss-chart] path.run')];
    const last = runs.at(-1);
    const pause = document.querySelector('#train-pause');
    const train = document.querySelector('[data-testid=train-button]');
    const streaming = runs.length === n && last.dataset.state === 'running'
        && Number(last.dataset.points) > 0 && last.getAttribute('d') !== '' && !pause.disabled;
    return streaming || !train.disabled;
}"""


def test_ten_train_pause_cycles_leave_the_server_able_to_check_gradients(app):
    """A learner presses Train and Pause ten times in a row, then checks the gradients."""
    load_preset(app)
    steps = app.testid("train-steps")
    # The panel takes at most 10,000 updates per run (the server's default limit too).
    steps.fill("10001")
    app.testid("train-button").click()
    expect(steps).to_have_attribute("aria-invalid", "true")
    expect(app.testid("train-status")).to_have_text("Steps: enter a number in the allowed range.")
    wait_settled(app, 0)
    # The longest run the panel allows: it streams until the server's time limit (~1.6 s),
    # so Pause lands in a running stream. A small η keeps the paused parameters away from
    # the minimum: there the gradient is ~0 and a relative error compares two round-offs.
    steps.fill("10000")
    app.testid("train-lr").fill("0.001")

    busy = watch_texts(app.page, r"busy|\(503\)")
    failed_api = []  # API answers other than 2xx: a 503 is what issue 8 looked like
    aborted = []  # requests that failed in the browser: each Pause cuts one /api/train
    app.page.on("response", lambda r: failed_api.append(f"{r.status} {r.url}")
                if "/api/" in r.url and r.status >= 400 else None)
    app.page.on("requestfailed", lambda r: aborted.append(f"{r.url} {r.failure}"))

    for cycle in range(1, CYCLES + 1):
        app.testid("train-button").click()
        app.page.wait_for_function(STREAMING_OR_ENDED_JS, arg=cycle)
        panel = app.page.evaluate(PANEL_JS)
        assert panel["runs"] == cycle and panel["state"] == "running" and panel["pause"], \
            f"cycle {cycle}: run {cycle} is not streaming: {panel}"

        app.page.locator("#train-pause").click()
        wait_settled(app, cycle)
        panel = app.page.evaluate(PANEL_JS)
        assert panel["state"] == "paused", \
            f"cycle {cycle}: Pause did not stop a running run: {panel}"
        assert 0 < panel["points"] < 10000, panel
        expect(app.testid("train-status")).to_contain_text("Paused at step")
        expect(app.page.locator("#train-pause")).to_be_disabled()
        assert not busy(), f"cycle {cycle}: the page said {busy()}"
        assert not failed_api, f"cycle {cycle}: {failed_api}"

    assert [r["state"] for r in runs(app)] == ["paused"] * CYCLES
    train_aborts = [a for a in aborted if "/api/train" in a]
    assert len(train_aborts) == CYCLES, aborted

    # The server still answers: the gradient check of the (paused) model passes.
    result = app.testid("gradcheck-result")
    with app.page.expect_response(lambda r: r.url.endswith("/api/gradcheck")) as resp:
        app.testid("gradcheck-button").click()
    answer = resp.value
    assert answer.status == 200, f"/api/gradcheck answered {answer.status}: {answer.text()[:300]}"
    verdict = result.locator(".verdict")
    expect(verdict).to_have_class("verdict pass")
    expect(verdict).to_have_text("Backprop agrees with the numeric gradient.")
    rows = result.locator("tr[data-variable]")
    expect(rows).to_have_count(4)
    assert sorted(r.get_attribute("data-variable") for r in rows.all()) == ["X", "Y", "b", "w"]
    expect(result.locator(".fail")).to_have_count(0)
    assert not busy(), f"the page said {busy()}"
    assert not failed_api, failed_api
