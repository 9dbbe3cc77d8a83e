"""The speed work on the answer path changes no byte: tensors handed to the engine as arrays
give the same answer as the validated lists, a summary is the same with or without the
all-finite shortcut, and an array met several times in a payload is written the same each
time."""

import numpy as np
import orjson
import pytest

from app.api import encoding, jobs
from app.api.schemas import GraphRequest
from app.engine import evaluate
from app.settings import get_settings


def _old_summary(a):
    """The summary as it was computed before (a masked copy, then the statistics)."""
    finite = a[np.isfinite(a)]
    stats = {"min": float(finite.min()), "max": float(finite.max()),
             "mean": float(finite.mean())} if finite.size else {}
    return {"summary": True, "shape": list(a.shape), "size": int(a.size),
            "non_finite": int(a.size - finite.size), **stats}


def _arrays():
    rng = np.random.default_rng(3)
    yield rng.standard_normal((300, 200))
    yield rng.standard_normal((201, 300)).T  # not C-contiguous
    yield rng.standard_normal((400, 300))[3:390:2, 7:290]  # a strided view
    yield rng.standard_normal(50_000) * 1e12
    yield np.full((70, 70), -0.1)


@pytest.mark.parametrize("a", list(_arrays()), ids=lambda a: str(a.shape))
@pytest.mark.parametrize("holes", [None, "some", "all"])
def test_summary_is_unchanged(a, holes):
    a = a.copy() if holes else a
    if holes == "some":
        a[::7] = np.nan
        a[1::11] = -np.inf
    elif holes == "all":
        a[...] = np.inf
    assert encoding.summarise(a) == _old_summary(a)


def test_shared_arrays_are_written_alike():
    big, small = np.arange(5000.0), np.array([[1.0, np.nan]])
    payload = {"a": big, "b": [big, {"c": big}], "s": small, "t": [small]}
    out = orjson.loads(encoding.dumps(payload, 4096))
    assert out["a"] == out["b"][0] == out["b"][1]["c"] == _old_summary(big)
    assert out["s"] == out["t"][0] == [[1.0, "NaN"]]


VALUES = [
    {"x": [[1.5, -2.0, 3.0], [0.25, 4.0, -1.0]], "y": [2.0, 1.0, -3.0], "s": 2.0},
    {"x": [[1e-300, 5e-324, -0.0], [1.7976931348623157e308, 0.1, 1.0 / 3]],
     "y": [1.0, 2.0, 3.0], "s": -0.5},
    {"x": [[7.0]], "y": [1.0], "s": 0.0},
]


@pytest.mark.parametrize("values", VALUES)
@pytest.mark.parametrize("expression", ["sum(x * y) * s", "mse(x, x * s)", "sum(x / y)"])
def test_graph_answer_is_the_lists_answer(values, expression):
    """POST /api/graph's job converts validated lists to arrays before `evaluate`: the bytes
    are those of `evaluate` on the lists themselves."""
    settings = get_settings()
    body = orjson.dumps({"expression": expression, "values": values})
    request = GraphRequest.model_validate(orjson.loads(body))
    expected = jobs.graph_json(expression, evaluate(expression, request.values),
                               settings.max_tensor_elements)
    assert jobs.handle("graph", body, settings, 1e18) == (200, expected)


@pytest.mark.parametrize("values", [
    {"x": [[1.0, 2.0], [3.0]]},  # ragged
    {"x": [[1.0, True]]},  # a boolean
    {"x": [[1.0, "2"]]},  # a string
    {"x": []},  # empty
    {"x": [[]]},
    {"x": [[[1.0]]]},  # rank 3
])
def test_bad_tensors_answer_as_before(values):
    """Bad tensors never reach the conversion: pydantic refuses them first, as before."""
    body = orjson.dumps({"expression": "sum(x)", "values": values})
    status, content = jobs.handle("graph", body, get_settings(), 1e18)
    assert status == 422
    assert orjson.loads(content)["detail"][0]["loc"][:3] == ["body", "values", "x"]
