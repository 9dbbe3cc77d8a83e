"""Issue 11, "rules come from one place": the optimizer table of app/engine/optim.py is what
the request schema accepts, the settings are the engine's limits, and one function encodes
every error."""

import asyncio
import concurrent.futures
import dataclasses
import typing

import orjson
import pytest
from pydantic import ValidationError

from app.api import errors, jobs, middleware
from app.api.schemas import Optimizer, TrainRequest
from app.engine import ExpressionError, Limits, train
from app.engine.optim import HYPERPARAMETERS, OPTIMIZERS, optimizers_json
from app.settings import Settings

LINEAR = "mse(w * X + b, Y)"
VALUES = {"w": 0.0, "b": 0.0, "X": [[1.0, 2.0]], "Y": [[2.0, 4.0]]}


def test_the_schema_accepts_exactly_the_tables_optimizers():
    fields = Optimizer.model_fields
    assert set(fields) == {"name", *HYPERPARAMETERS}
    assert set(typing.get_args(fields["name"].annotation)) == set(OPTIMIZERS)
    assert TrainRequest.model_fields["optimizer"].annotation is Optimizer
    for key, h in HYPERPARAMETERS.items():
        assert fields[key].is_required() == (h.default is None), key


def _samples(h):
    """Values on and around the hyperparameter's bounds."""
    values = [h.low, h.low + 1e-9, h.low - 1e-9, 0.5, 2.0, -1.0]
    if h.high is not None:
        values += [h.high, h.high - 1e-9, h.high + 1e-9]
    return values


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_schema_and_the_engine_agree_on_every_bound(name):
    for h in OPTIMIZERS[name].hyperparameters:
        for value in _samples(h):
            optimizer = {"name": name, "lr": 0.1, h.key: value}
            try:
                Optimizer.model_validate(optimizer)
                schema_ok = True
            except ValidationError:
                schema_ok = False
            try:
                train(LINEAR, VALUES, ["w", "b"], optimizer, steps=1)
                engine_ok = True
            except ExpressionError as e:
                assert e.loc == ("optimizer", h.key)
                engine_ok = False
            assert schema_ok == engine_ok == h.contains(value), (name, h.key, value)


def test_an_omitted_hyperparameter_takes_the_tables_default():
    for name, o in OPTIMIZERS.items():
        for h in o.hyperparameters:
            if h.default is None:
                with pytest.raises(ValidationError):
                    Optimizer.model_validate({"name": name})
                continue
            given = {"name": name, "lr": 0.1}
            explicit = {**given, h.key: h.default}
            a = train(LINEAR, VALUES, ["w"], given, steps=3)
            b = train(LINEAR, VALUES, ["w"], explicit, steps=3)
            assert a == b, (name, h.key)


def test_the_table_is_plain_json_with_both_languages():
    table = orjson.loads(orjson.dumps(optimizers_json()))
    assert [o["name"] for o in table] == list(OPTIMIZERS)
    for o in table:
        assert o["title"]["en"] and o["title"]["ko"] and o["rule"]
        assert o["hyperparameters"][0]["key"] == "lr"  # every optimizer has a learning rate
        for h in o["hyperparameters"]:
            assert h["label"]["en"] and h["label"]["ko"] and h["description"]["ko"]
            assert h["required"] == (h["default"] is None)
            assert HYPERPARAMETERS[h["key"]].contains(h["suggested"])


def test_every_engine_limit_is_a_setting_with_the_same_default(monkeypatch):
    defaults = Settings()
    for f in dataclasses.fields(Limits):
        assert f.name in Settings.model_fields, f.name
        assert getattr(defaults, f.name) == f.default, f.name
        assert Settings.model_fields[f.name].annotation is type(f.default), f.name
    assert defaults.limits() == Limits()
    monkeypatch.setenv("BPV_MAX_CHARS", "77")
    monkeypatch.setenv("BPV_MAX_FLOPS", "1e3")
    s = Settings()
    assert (s.max_chars, s.max_flops) == (77, 1e3)
    assert s.limits() == Limits(max_chars=77, max_flops=1e3)


def test_one_function_encodes_every_error():
    items = [{"type": "limit_exceeded", "loc": ["body"], "msg": "too much", "ctx": {}}]
    body = errors.error_body(items)
    assert orjson.loads(body) == {"detail": items}
    assert errors.error_response(422, items).body == body
    assert jobs._error(422, items) == (422, body)


def test_the_middleware_writes_its_errors_with_the_same_encoder():
    sent = []

    async def send(message):
        sent.append(message)

    # in a thread of its own: the browser tests' Playwright keeps a loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, middleware._reply(send, 415, "not JSON")).result()
    assert sent[1]["body"] == errors.error_body([errors.http_item(415, "not JSON")])
