"""GET /api/optimizers: the table the training panel builds its controls from (issue 11)."""

from app.api import jobs
from app.engine.optim import optimizers_json
from apikit import start_client


def test_the_page_gets_the_engines_table_and_the_limits(client):
    r = client.get("/api/optimizers")
    assert r.status_code == 200
    data = r.json()
    assert data["optimizers"] == optimizers_json()
    assert data["limits"] == {"max_train_steps": client.app.state.settings.max_train_steps,
                              "detail_steps": jobs.DETAIL_STEPS,
                              "track_numbers": jobs.TRACK_NUMBERS}


def test_the_max_steps_follow_the_setting():
    c = start_client(max_train_steps=123, workers=1)
    try:
        assert c.get("/api/optimizers").json()["limits"]["max_train_steps"] == 123
    finally:
        c.__exit__(None, None, None)


def test_it_is_documented(client):
    op = client.get("/openapi.json").json()["paths"]["/api/optimizers"]["get"]
    assert "max_train_steps" in op["description"]
