"""Property-based tests of the API against its own OpenAPI schema (schemathesis 4.x).

Every operation gets generated requests, valid and invalid; each response must not be a 5xx
and must conform to the documented response schema (status code, content type, body).

schemathesis runs the ASGI app in-process and starts its lifespan (the worker pool) when the
schema is loaded, keeping it running until the interpreter exits.
"""

import numpy as np
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from app.api.schemas import GraphResponse
from app.main import create_app
from app.settings import Settings

app = create_app(Settings(workers=2))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]


@schema.parametrize()
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)


def test_schema_lists_the_operations():
    operations = {(op.method.upper(), op.path) for op in
                  (result.ok() for result in schema.get_all_operations())}
    assert {("POST", "/api/graph"), ("POST", "/api/gradcheck"), ("GET", "/api/ops"),
            ("GET", "/api/examples"), ("GET", "/healthz")} <= operations


# ---------------------------------------------------------------- grammar-based fuzzing
#
# Generated requests from the schema rarely parse; these are well-formed programs over the
# whole function table with scalar, vector and matrix values of every shape combination.
# Each answer must be a 200 whose body matches the documented response schema and whose
# gradients have their variables' shapes (docs/engine.md), or a located 422 expression error.

VALUES = {"s": 0.0, "t": -1.5, "v": [1.0, -2.0, 0.0], "w": [0.5, 0.5, 3.0],
          "M": [[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], "N": [[1.0, 0.0], [0.0, 1.0], [2.0, -2.0]],
          "c": [[1.0], [2.0]], "r": [[1.0, 2.0, 3.0]]}
UNARY = ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "sum", "mean",
         "transpose", "softmax", "-"]
BINARY_FUNCTIONS = ["max", "min", "pow", "dot", "mse", "cross_entropy", "softmax_cross_entropy"]
OPERATORS = ["+", "-", "*", "/", "@", "**", "^"]
EXPRESSION_ERRORS = {"syntax_error", "invalid_character", "unknown_function", "missing_value",
                     "reserved_name", "arity", "shape_mismatch", "invalid_value",
                     "limit_exceeded"}


def _programs():
    leaves = st.sampled_from([*VALUES, "0", "1", "2.5", "pi", "e", "1e-300", "1e300"])

    def extend(children):
        return st.one_of(
            st.tuples(children, st.sampled_from(OPERATORS), children).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(UNARY), children).map(
                lambda t: f"-{t[1]}" if t[0] == "-" else f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(BINARY_FUNCTIONS), children, children).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        )

    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(expression=_programs(), expand=st.booleans())
def test_generated_programs_never_fail(client, expression, expand):
    r = client.post("/api/graph", json={"expression": expression, "values": VALUES,
                                        "expand": expand})
    assert r.status_code in (200, 422), (expression, expand, r.status_code, r.text[:300])
    body = r.json()
    if r.status_code == 422:
        item = body["detail"][0]
        assert item["type"] in EXPRESSION_ERRORS, (expression, item)
        assert 0 <= item["ctx"]["start"] <= item["ctx"]["end"] <= len(expression) + 1
        return
    try:
        GraphResponse.model_validate(body)
    except ValueError as e:
        raise AssertionError(f"{expression!r} expand={expand}: {str(e)[:600]}") from None
    for name, grad in body["gradients"].items():
        assert np.shape(grad) == np.shape(VALUES[name]), (expression, expand, name, grad)
