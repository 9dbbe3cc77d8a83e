"""The training panel builds its optimizer controls from GET /api/optimizers (issue 11): one
option per optimizer, one input per hyperparameter with the table's starting value and label,
and the step limit of BPV_MAX_TRAIN_STEPS."""

from pagekit import expect
from test_training import load_preset


def rules(app) -> dict:
    return app.page.evaluate("fetch('/api/optimizers').then(r => r.json())")


def test_the_controls_come_from_the_api(app):
    load_preset(app)
    table = rules(app)
    options = app.testid("train-optimizer").locator("option")
    expect(options).to_have_count(len(table["optimizers"]))
    for o in table["optimizers"]:
        app.testid("train-optimizer").select_option(o["name"])
        for h in o["hyperparameters"]:
            field = app.page.locator(f"label[for=train-{h['key']}]")
            expect(field).to_be_visible()
            expect(field).to_contain_text(h["label"]["en"])
    adam = next(o for o in table["optimizers"] if o["name"] == "adam")
    eps = next(h for h in adam["hyperparameters"] if h["key"] == "eps")
    app.testid("train-optimizer").select_option("adam")
    expect(app.testid("train-eps")).to_be_visible()
    assert float(app.testid("train-eps").input_value()) == eps["suggested"]
    app.testid("train-optimizer").select_option("sgd")
    expect(app.page.locator("#train-eps")).to_be_hidden()


def test_the_step_limit_is_the_servers(app):
    load_preset(app)
    limit = rules(app)["limits"]["max_train_steps"]
    app.testid("train-steps").fill(str(limit + 1))
    app.testid("train-button").click()
    expect(app.testid("train-steps")).to_have_attribute("aria-invalid", "true")
