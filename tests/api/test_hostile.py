"""Hostile input (README "REST API", docs/engine.md "Limits"): transport, JSON, tensors,
expression text, names, numerics, strict types, the hard time bound and overload. Every case gets an exact status and
error type, never a 500, and no error echoes the input back."""

import concurrent.futures
import json
import math
import threading
import time

import numpy as np
import pytest
from apikit import (HANGUL, TUTORIAL, assert_error, assert_security_headers, graph,
                    start_client, warm)

JSON = {"content-type": "application/json"}


def post_raw(client, body, headers=JSON, path="/api/graph"):
    return client.post(path, content=body, headers=headers)


# ---------------------------------------------------------------- transport

def test_body_over_limit_with_content_length_is_413(small_client):
    body = b'{"expression": "x", "values": {"x": 1}, "pad": "' + b"a" * 2000 + b'"}'
    r = post_raw(small_client, body)
    assert r.request.headers["content-length"] == str(len(body))
    assert_error(r, 413, "body_too_large")
    assert "aaaa" not in r.text


def test_chunked_body_over_limit_without_content_length_is_413(small_client):
    def chunks():
        yield b'{"expression": "x", "values": {"x": 1}, "pad": "'
        for _ in range(20):
            yield b"a" * 100
        yield b'"}'

    r = post_raw(small_client, chunks())
    assert "content-length" not in r.request.headers
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert_error(r, 413, "body_too_large")
    assert_security_headers(r)


def test_chunked_body_under_limit_is_fine(small_client):
    def chunks():
        yield b'{"expression": "(x+y)*z", '
        yield b'"values": {"x": -2, "y": 5, "z": -4}}'

    r = post_raw(small_client, chunks())
    assert "content-length" not in r.request.headers
    assert r.status_code == 200, r.text
    assert r.json()["value"] == -12.0


@pytest.mark.parametrize("headers", [
    {"content-type": "text/plain"},
    {"content-type": "application/x-www-form-urlencoded"},
    {"content-type": "multipart/form-data; boundary=x"},
    {"content-type": "application/jsonx"},
    {},
], ids=["text", "form", "multipart", "jsonx", "missing"])
def test_non_json_content_type_is_415(client, headers):
    r = post_raw(client, b'{"expression": "x", "values": {"x": 1}}', headers=headers)
    assert_error(r, 415, "unsupported_media_type")
    assert_security_headers(r)


def test_json_content_type_with_charset_is_accepted(client):
    r = post_raw(client, json.dumps(TUTORIAL).encode(),
                 headers={"content-type": "Application/JSON; charset=utf-8"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("body", [
    b'{"expression": "x\xff\xfe", "values": {"x": 1}}',
    b'\xff\xfe{}',
    b'{"expression": "\xed\xa0\x80", "values": {}}',  # an encoded surrogate
    b'\xc3(',
], ids=["in-string", "leading", "surrogate", "truncated"])
def test_invalid_utf8_is_422(client, body):
    assert_error(post_raw(client, body), 422, "json_invalid")


# ---------------------------------------------------------------- JSON

@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"])
def test_non_finite_json_numbers_are_json_invalid(client, number):
    r = post_raw(client, b'{"expression": "x", "values": {"x": ' + number + b"}}")
    assert_error(r, 422, "json_invalid")


def test_huge_integer_is_422(client):
    r = post_raw(client, b'{"expression": "x", "values": {"x": ' + b"9" * 400 + b"}}")
    assert_error(r, 422, "json_invalid")
    assert "9999" not in r.text


def test_huge_integer_in_output_grad_is_422(client):
    r = post_raw(client, b'{"expression": "x", "values": {"x": 1}, "output_grad": -'
                 + b"1" * 400 + b"}")
    assert_error(r, 422, "json_invalid")


@pytest.mark.parametrize("body", [
    b"[" * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"expression": "x", "values": {"x": ' + b"[" * 5000 + b"1" + b"]" * 5000 + b"}}",
], ids=["open-arrays", "closed-arrays", "objects", "in-values"])
def test_deep_nesting_is_422_never_500(client, body):
    assert_error(post_raw(client, body), 422, "json_invalid")


def test_moderate_nesting_in_a_value_is_a_type_error(client):
    body = b'{"expression": "x", "values": {"x": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}}"
    r = post_raw(client, body)
    assert_error(r, 422, "float_type")


def test_duplicate_keys_last_one_wins(client):
    r = post_raw(client, b'{"expression": "x", "expression": "y", '
                         b'"values": {"x": 1, "y": 2, "y": 3}}')
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["expression"] == "y"
    assert body["value"] == 3.0


@pytest.mark.parametrize("body", [b'[{"expression": "x"}]', b'"(x+y)*z"', b"1", b"null",
                                  b"true"], ids=["array", "string", "number", "null", "bool"])
def test_non_object_body_is_422(client, body):
    assert_error(post_raw(client, body), 422, "model_type", loc=["body"])


def test_empty_body_is_422(client):
    assert_error(post_raw(client, b""), 422, "json_invalid", loc=["body", 0])


def test_truncated_json_is_422(client):
    assert_error(post_raw(client, b'{"expression": "x", "val'), 422, "json_invalid")


# ---------------------------------------------------------------- tensors

def test_ragged_tensor(client):
    r = graph(client, "x", {"x": [[1, 2], [3]]})
    item = assert_error(r, 422, "ragged_tensor")
    assert item["loc"][:3] == ["body", "values", "x"]
    assert item["ctx"] == {"row": 1, "got": 1, "width": 2}


@pytest.mark.parametrize("value", [[], [[]]], ids=["vector", "matrix"])
def test_empty_tensor(client, value):
    r = graph(client, "x", {"x": value})
    item = assert_error(r, 422, "too_short")
    assert item["loc"][:3] == ["body", "values", "x"]


def test_rank_3_tensor(client):
    r = graph(client, "x", {"x": [[[1.0, 2.0]], [[3.0, 4.0]]]})
    item = assert_error(r, 422, "float_type")
    assert item["loc"][:3] == ["body", "values", "x"]


def test_mixed_rows_are_rejected(client):
    assert_error(graph(client, "x", {"x": [1, [2]]}), 422, "float_type")
    assert_error(graph(client, "x", {"x": [[1], 2]}), 422, "list_type")


def test_broadcast_blow_up_is_refused_before_numpy(client):
    values = {"a": [[1.0] * 60_000], "b": [[1.0]] * 60_000}
    t = time.monotonic()
    r = graph(client, "a + b", values)
    elapsed = time.monotonic() - t
    # the static check (located at the op, not a MemoryError in the worker)
    item = assert_error(r, 422, "limit_exceeded", loc=["body", "expression"], start=0, end=5)
    assert HANGUL.search(item["ctx"]["msg_ko"])
    assert elapsed < 2.0, elapsed  # generous: a 28.8 GB array is never attempted


def test_broadcast_blow_up_of_vectors(client):
    # (60000,) vs (60000, 1) also broadcasts to 60000×60000
    r = graph(client, "a * b", {"a": [1.0] * 60_000, "b": [[1.0]] * 60_000})
    assert_error(r, 422, "limit_exceeded", loc=["body", "expression"], start=0, end=5)


def test_matmul_chain_beyond_flop_limit(client):
    A = np.ones((1000, 1000)).tolist()
    r = graph(client, "A @ A @ A @ A @ A @ A @ A @ A", {"A": A})
    item = assert_error(r, 422, "limit_exceeded", loc=["body", "expression"])
    assert 0 <= item["ctx"]["start"] < item["ctx"]["end"] <= 29


def test_matmul_shape_mismatch(client):
    r = graph(client, "A @ B", {"A": np.ones((3, 4)).tolist(), "B": np.ones((3, 4)).tolist()})
    assert_error(r, 422, "shape_mismatch", loc=["body", "expression"], start=0, end=5)


CROSS_ENTROPY_SHAPES = [
    (0.5, [[1.0], [0.0]]),                        # scalar p, y with one column
    (0.5, [[1.0, 0.0], [0.0, 1.0]]),              # scalar p, square y
    ([0.5, 0.5], [[1.0, 0.0], [0.0, 1.0]]),       # vector p, matrix y
    ([[0.5, 0.5]], [[1.0, 0.0], [0.0, 1.0]]),     # (1, 2) p, (2, 2) y
]


@pytest.mark.parametrize("p,y", CROSS_ENTROPY_SHAPES,
                         ids=["scalar-col", "scalar-square", "vector-matrix", "row-matrix"])
@pytest.mark.parametrize("path", ["/api/graph", "/api/gradcheck"])
def test_cross_entropy_with_mismatched_shapes(client, path, p, y):
    """Either refused as shape_mismatch (as softmax_cross_entropy does) or answered with every
    gradient shaped like its variable (docs/engine.md); never a 500.

    Regression test; it used to fail like this: scalar p with a (2, 1) y is a 500 (IndexError in the engine);
    scalar or vector p with a (2, 2) y is a 200 whose gradient for y is a scalar / a vector,
    not (2, 2) (with "expand": true the same request gives a (2, 2) gradient); gradcheck on
    these kills the worker and is reported as 422 "took longer than 2.0 s"."""
    r = client.post(path, json={"expression": "cross_entropy(p, y)",
                                "values": {"p": p, "y": y}})
    assert r.status_code in (200, 422), (r.status_code, r.text[:300])
    if r.status_code == 422:
        assert_error(r, 422, "shape_mismatch", loc=["body", "expression"])
        return
    body = r.json()
    grads = body["gradients"] if path == "/api/graph" else {
        k: v["backprop"] for k, v in body["variables"].items()}
    assert np.shape(grads["p"]) == np.shape(p)
    assert np.shape(grads["y"]) == np.shape(y)


def test_too_many_elements_in_one_input(client):
    limit = client.app.state.settings.max_input_elements
    side = int(math.isqrt(limit)) + 1
    r = graph(client, "x", {"x": [[0] * side] * side})
    item = assert_error(r, 422, "limit_exceeded")
    assert item["loc"] == ["body", "values", "x"]


# ---------------------------------------------------------------- expression text

EXPR = ["body", "expression"]

TEXT_CASES = [
    # expression, type, start, end
    ("x\x00", "invalid_character", 1, 2),
    ("x\x1b[31m + 1", "invalid_character", 1, 2),
    ("x \u2013 1", "invalid_character", 2, 3),       # EN DASH (U+2212 MINUS is `-`)
    ("x \uff0b 1", "invalid_character", 2, 3),       # FULLWIDTH PLUS
    ("\uff58 + 1", "invalid_character", 0, 1),       # FULLWIDTH x
    ("x\u200b+ 1", "invalid_character", 1, 2),       # ZERO WIDTH SPACE
    ("x\u00a0+ 1", "invalid_character", 1, 2),       # NBSP
    ("x \u2217 2", "invalid_character", 2, 3),       # ASTERISK OPERATOR (× is `*`)
    ("x\u00b2", "invalid_character", 1, 2),          # SUPERSCRIPT TWO
    ("\ufb01 + 1", "invalid_character", 0, 1),       # LIGATURE FI (not NFKC)
    ("x\u202e + 1", "invalid_character", 1, 2),      # RIGHT-TO-LEFT OVERRIDE
    ("x\ufeff", "invalid_character", 1, 2),          # BOM
    ("__import__('os').system('id')", "unknown_function", 0, 10),
    ("x.__class__", "invalid_character", 1, 2),
    ("lambda: 0", "invalid_character", 6, 7),
    ("X[0]", "invalid_character", 1, 2),
    ('exec("1")', "unknown_function", 0, 4),
    ("eval(x)", "unknown_function", 0, 4),
    ("open(x)", "unknown_function", 0, 4),
    ("'x'", "invalid_character", 0, 1),
    ("x if x else x", "syntax_error", 2, 4),
    ("<script>alert(1)</script>", "invalid_character", 0, 1),
    ("x; import os", "syntax_error", 10, 12),
    ("{x}", "invalid_character", 0, 1),
]


@pytest.mark.parametrize("expression,type_,start,end", TEXT_CASES,
                         ids=[repr(c[0])[:20] for c in TEXT_CASES])
def test_hostile_expression_text(client, expression, type_, start, end):
    r = graph(client, expression, {"x": 1, "X": [1.0, 2.0], "os": 1})
    item = assert_error(r, 422, type_, loc=EXPR, start=start, end=end)
    assert HANGUL.search(item["ctx"]["msg_ko"])
    text = r.text
    assert expression not in text
    for needle in ("<script", "__import__", "system(", "__class__", "lambda", 'exec("',
                   "\u2013", "\u2217", "\ufb01", "\uff0b", "\uff58", "\u200b", "\u00a0", "\x1b", "\x00", "\u0445",
                   "\u202e", "\ufeff"):
        if needle in expression:
            assert needle not in text, needle


def test_deep_parenthesis_nest(client):
    n = 99_999
    expression = "(" * n + "x" + ")" * n
    t = time.monotonic()
    r = graph(client, expression, {"x": 1})
    depth = client.app.state.settings.max_depth
    item = assert_error(r, 422, "limit_exceeded", loc=EXPR)
    assert depth <= item["ctx"]["start"] <= depth + 1, item
    assert time.monotonic() - t < 5.0


def test_unclosed_deep_parenthesis_nest(client):
    r = graph(client, "(" * 100_000 + "x", {"x": 1})
    assert_error(r, 422, "limit_exceeded", loc=EXPR)


def test_many_unary_minuses(client):
    r = graph(client, "-" * 50_000 + "x", {"x": 1})
    depth = client.app.state.settings.max_depth
    assert_error(r, 422, "limit_exceeded", loc=EXPR, start=depth, end=depth + 1)


def test_many_unary_pluses_are_no_ops(client):
    # unary + makes no node (docs/engine.md), so 50,000 of them neither nest nor overflow
    r = graph(client, "+" * 50_000 + "x", {"x": 1})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["value"] == 1.0 and len(r.json()["nodes"]) == 1


def test_right_assoc_power_tower(client):
    r = graph(client, "x" + "**x" * 50_000, {"x": 1})
    assert_error(r, 422, "limit_exceeded", loc=EXPR)


def test_expression_over_char_limit(client):
    limit = client.app.state.settings.max_chars
    r = graph(client, "x+" * (limit // 2) + "x", {"x": 1})
    assert_error(r, 422, "limit_exceeded", loc=EXPR)


def test_too_many_variables(client):
    n = client.app.state.settings.max_variables + 1
    expression = "+".join(f"v{i}" for i in range(n))
    r = graph(client, expression, {f"v{i}": 1 for i in range(n)})
    start = expression.index(f"v{n - 1}")
    assert_error(r, 422, "limit_exceeded", loc=EXPR, start=start, end=start + len(f"v{n - 1}"))


def test_too_many_nodes(client):
    n = client.app.state.settings.max_nodes
    r = graph(client, "x" + "+x" * n, {"x": 1})
    assert_error(r, 422, "limit_exceeded", loc=EXPR)


def test_gradcheck_budget_is_bounded(client):
    r = client.post("/api/gradcheck", json={"expression": "sum(W)",
                                            "values": {"W": np.ones((100, 100)).tolist()}})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    budget = client.app.state.settings.max_gradcheck_evals
    assert body["forward_evals"] <= budget
    w = body["variables"]["W"]
    assert w["elements"] == 10_000 and 0 < w["checked"] < 10_000
    assert body["forward_evals"] == 2 * w["checked"]
    assert body["max_rel_error"] < 1e-6


def test_long_flat_sum_is_fine(client):
    # 10,000 operations, the size docs/engine.md "Limits" promises to serve
    r = graph(client, "+".join(["x"] * 10_001), {"x": 1})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["value"] == 10_001.0
    assert r.json()["gradients"] == {"x": 10_001.0}


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("key", ["__x", "__proto__", "__class__", "__init__"])
def test_dunder_value_keys_are_422(client, key):
    r = graph(client, "x", {"x": 1, key: 1})
    item = assert_error(r, 422, "string_pattern_mismatch")
    assert item["loc"][:2] == ["body", "values"]


@pytest.mark.parametrize("key", ["constructor", "prototype", "toString", "hasOwnProperty",
                                 "_"])
def test_js_prototype_names_are_ordinary_names(client, key):
    r = graph(client, "x", {"x": 1, key: 5})
    assert r.status_code == 200, r.text
    assert r.json()["gradients"] == {"x": 1.0}
    r = graph(client, f"{key} * 2", {key: 5})
    assert r.status_code == 200, r.text
    assert r.json()["gradients"] == {key: 2.0}


@pytest.mark.parametrize("key", ["a" * 33, "1x", "x-y", "x y", "", "\uff58", "x\u00b2"])
def test_invalid_value_keys_are_422(client, key):
    r = graph(client, "x", {"x": 1, key: 1})
    assert_error(r, 422, "string_pattern_mismatch")


PAYLOAD = "<script>alert(1)</script>"


def test_script_as_value_key_is_not_echoed(client):
    r = graph(client, "x", {"x": 1, PAYLOAD: 1})
    item = assert_error(r, 422, "string_pattern_mismatch")
    assert "<script" not in r.text and "alert(1)" not in r.text
    assert item["loc"][:2] == ["body", "values"]
    assert_security_headers(r)


def test_script_as_unknown_field_is_not_echoed(client):
    r = client.post("/api/graph", json={**TUTORIAL, PAYLOAD: 1})
    assert_error(r, 422, "extra_forbidden")
    assert "<script" not in r.text and "alert(1)" not in r.text


def test_script_as_expression_is_not_echoed(client):
    r = graph(client, PAYLOAD, {"x": 1})
    assert_error(r, 422, "invalid_character", loc=EXPR, start=0, end=1)
    assert "<script" not in r.text and "alert(1)" not in r.text


def test_script_in_a_wrongly_typed_value_is_not_echoed(client):
    r = client.post("/api/graph", json={"expression": "x", "values": {"x": PAYLOAD}})
    assert_error(r, 422, "float_type")
    assert "<script" not in r.text
    r = client.post("/api/graph", json={"expression": ["<script>"], "values": {}})
    assert_error(r, 422, "string_type")
    assert "<script" not in r.text
    r = client.post("/api/graph", json={**TUTORIAL, "expand": PAYLOAD})
    assert_error(r, 422, "bool_type")
    assert "<script" not in r.text


def test_script_in_a_missing_variable_is_not_echoed(client):
    r = graph(client, "x + script", {"x": 1, "y": 1})
    assert_error(r, 422, "missing_value", loc=["body", "values", "script"], start=4, end=10)


# ---------------------------------------------------------------- numerics

NUMERIC = [
    # expression, values, output value, warning (phase, op of the node) first
    ("log(x)", {"x": 0}, "-Infinity", "log"),
    ("log(0)", {}, "-Infinity", "log"),
    ("exp(x)", {"x": 1000}, "Infinity", "exp"),
    ("exp(1000)", {}, "Infinity", "exp"),
    ("x / y", {"x": 0, "y": 0}, "NaN", "div"),
    ("0/0", {}, "NaN", "div"),
    ("x ** (1/3)", {"x": -8}, "NaN", "pow"),
    ("(-8)**(1/3)", {}, "NaN", "pow"),
    ("-exp(x)", {"x": 1000}, "-Infinity", "exp"),
    ("sqrt(x)", {"x": -1}, "NaN", "sqrt"),
]


@pytest.mark.parametrize("expression,values,value,op", NUMERIC,
                         ids=[c[0] for c in NUMERIC])
def test_non_finite_results_are_200_with_warnings(client, expression, values, value, op):
    r = graph(client, expression, values)
    assert r.status_code == 200, r.text
    assert "NaN" in r.text or "Infinity" in r.text
    body = r.json()  # strict JSON: Python's parser would also read bare NaN, so check text
    for bare in (":NaN", ":Infinity", ":-Infinity", ",NaN", "[NaN", ",Infinity", "[Infinity",
                 ",-Infinity", "[-Infinity"):
        assert bare not in r.text, bare
    assert body["value"] == value
    nodes = {n["id"]: n for n in body["nodes"]}
    warnings = body["warnings"]
    assert warnings, body
    first = [w for w in warnings if w["phase"] == "forward"][0]
    assert first["type"] == "non_finite"
    assert nodes[first["node"]]["op"] == op
    assert first["value"] in ("NaN", "Infinity", "-Infinity")
    assert nodes[first["node"]]["value"] == first["value"]
    assert first["msg"] and HANGUL.search(first["msg_ko"])
    for w in warnings:
        assert w["node"] in nodes
    # the inputs of the warned node are finite (the non-finite number first appeared there)
    for i in nodes[first["node"]]["inputs"]:
        assert isinstance(nodes[i]["value"], (int, float))


@pytest.mark.parametrize("expression", ["v / s", "v / 0", "sum(v / s)", "W / s"])
def test_tensor_divided_by_scalar_zero(client, expression):
    """Regression test; it used to fail like this: a tensor divided by a scalar 0 is a 500 internal_error
    (ZeroDivisionError: the scalar divisor's local derivative 1.0 / b is computed with
    Python floats) instead of 200 with Infinity / NaN and warnings (docs/engine.md)."""
    r = graph(client, expression, {"v": [1.0, -2.0, 0.0], "s": 0, "W": [[1.0], [-1.0]]})
    assert r.status_code == 200, (r.status_code, r.text[:300])
    body = r.json()
    assert body["warnings"] and body["warnings"][0]["phase"] == "forward"
    if expression.startswith("v"):
        assert body["value"] == ["Infinity", "-Infinity", "NaN"]


@pytest.mark.parametrize("expression", ["sqrt(0)", "x * sqrt(0)", "sqrt(0 * x)"])
def test_non_finite_gradient_of_a_constant_is_a_string_not_null(client, expression):
    """Regression test; it used to fail like this: with a finite forward pass, a non-finite gradient that
    reaches only a constant (d sqrt(u)/du at u = 0) makes no warning, so the encoder skips
    its non-finite walk and orjson writes the Infinity as JSON null: `grad`, `local`,
    `contribution` and `accumulated` are null, which the documented schema does not allow
    (docs/engine.md: non-finite numbers are the strings "NaN"/"Infinity"/"-Infinity")."""
    r = graph(client, expression, {"x": 1})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    for n in body["nodes"]:
        assert n["value"] is not None and n["grad"] is not None, n
    for e in body["edges"]:
        assert e["grad"] is not None, e
    for s in body["steps"]:
        for key in ("value", "grad", "upstream", "local", "contribution", "accumulated"):
            assert s.get(key, 0) is not None, s
    assert "null" not in r.text.replace('"name":null', "").replace('"op":null', "")


def test_backward_warning_names_the_variable(client):
    r = graph(client, "log(x)", {"x": 0})
    body = r.json()
    x = [n for n in body["nodes"] if n["name"] == "x"][0]
    back = [w for w in body["warnings"] if w["phase"] == "backward"]
    assert [(w["node"], w["value"]) for w in back] == [(x["id"], "Infinity")]
    assert body["gradients"] == {"x": "Infinity"}


def test_non_finite_tensor_entries_are_strings(client):
    r = graph(client, "log(x)", {"x": [1.0, 0.0, -1.0]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == [0.0, "-Infinity", "NaN"]
    assert body["gradients"]["x"] == [1.0, "Infinity", -1.0]
    assert body["warnings"]


def test_non_finite_in_summarised_tensor(small_client):
    x = np.ones((5, 5))
    x[0, 0] = 0.0
    r = graph(small_client, "log(x)", {"x": x.tolist()})
    assert r.status_code == 200, r.text
    v = r.json()["value"]
    assert v["summary"] is True and v["non_finite"] == 1 and v["min"] == 0.0


def test_finite_overflowing_values_give_warnings_not_errors(client):
    r = graph(client, "x * x", {"x": 1e200})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == "Infinity"
    assert r.json()["warnings"][0]["node"] == r.json()["output"]


# ---------------------------------------------------------------- strict types

@pytest.mark.parametrize("value,type_", [("1.5", "float_type"), (True, "float_type"),
                                         (None, "float_type"), ({"a": 1}, "float_type"),
                                         ([True, 1.0], "float_type"), (["1"], "float_type")],
                         ids=["string", "true", "null", "object", "bool-in-list",
                              "string-in-list"])
def test_strict_value_types(client, value, type_):
    r = client.post("/api/graph", json={"expression": "x", "values": {"x": value}})
    item = assert_error(r, 422, type_)
    assert item["loc"][:3] == ["body", "values", "x"]


@pytest.mark.parametrize("field,value,type_", [
    ("expression", 1, "string_type"),
    ("expression", None, "string_type"),
    ("values", [], "dict_type"),
    ("values", None, "dict_type"),
    ("expand", "true", "bool_type"),
    ("expand", 1, "bool_type"),
    ("output_grad", "1", "float_type"),
    ("output_grad", True, "float_type"),
])
def test_strict_field_types(client, field, value, type_):
    r = client.post("/api/graph", json={**TUTORIAL, field: value})
    item = assert_error(r, 422, type_)
    assert item["loc"][:2] == ["body", field]


def test_integers_are_numbers(client):
    r = client.post("/api/graph", json=TUTORIAL)
    assert r.status_code == 200


@pytest.mark.parametrize("extra", [{"foo": 1}, {"Expression": "x"}, {"eps": 1e-6},
                                   {"__proto__": {}}])
def test_unknown_fields_are_422(client, extra):
    r = client.post("/api/graph", json={**TUTORIAL, **extra})
    item = assert_error(r, 422, "extra_forbidden")
    assert item["loc"][0] == "body"


def test_missing_expression_is_422(client):
    r = client.post("/api/graph", json={"values": {"x": 1}})
    assert_error(r, 422, "missing", loc=["body", "expression"])


@pytest.mark.parametrize("eps,type_", [(0, "greater_than"), (-1, "greater_than"),
                                       (1, "less_than"), ("1e-6", "float_type")])
def test_gradcheck_eps_is_checked(client, eps, type_):
    r = client.post("/api/gradcheck", json={**TUTORIAL, "eps": eps})
    assert_error(r, 422, type_, loc=["body", "eps"])


# ---------------------------------------------------------------- hard time bound

def slow_request():
    """A job that is cheap to send and validate (2,000 input numbers) but keeps a worker busy
    for ~0.1 s: three 1000×1000 tensors made by broadcasting, within every static limit."""
    a = [[i / 1000 for i in range(1000)]]
    b = [[i / 777] for i in range(1000)]
    return {"expression": "sum(sin(a + b)) + sum(cos(a * b)) + sum(sin(a - b))",
            "values": {"a": a, "b": b}}


@pytest.fixture(scope="module")
def slow_body():
    return slow_request()


def test_slow_request_is_within_the_static_limits(client, slow_body):
    r = client.post("/api/graph", json=slow_body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["value"]


def very_slow_request():
    """Like slow_request with 4,000 rows: ~1.5 s of work on a quiet machine (over the
    default element limits, so the timeout client raises them)."""
    body = slow_request()
    body["values"]["b"] = [[i / 777] for i in range(4000)]
    return body


TIMEOUT_S = 0.3


@pytest.fixture(scope="module")
def timeout_client():
    # The queue wait is generous so that a request never meets a pool whose workers are
    # all being replaced (that is its own test, with its own 503, below).
    c = start_client(timeout_s=TIMEOUT_S, queue_timeout_s=30, max_total_elements=64_000_000,
                     max_flops=2e10)
    try:
        yield warm(c)
    finally:
        c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def very_slow_body():
    return very_slow_request()


def wait_until_every_worker_is_idle(client, limit=60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        r = client.get("/healthz?workers=true")  # 503 while no worker is alive
        workers = r.json().get("workers") if r.status_code == 200 else r.text
        if r.status_code == 200 and workers["idle"] == workers["size"]:
            return
        time.sleep(0.02)
    raise AssertionError(f"the pool did not recover within {limit} s: {workers}")


def test_hard_time_bound(timeout_client, very_slow_body):
    t = time.monotonic()
    r = timeout_client.post("/api/graph", json=very_slow_body)
    elapsed = time.monotonic() - t
    item = assert_error(r, 422, "limit_exceeded")
    assert item["loc"][0] == "body"
    assert elapsed < TIMEOUT_S + 0.9, elapsed  # killed at the bound, not run to completion
    assert_security_headers(r)


def test_next_request_after_a_timeout_succeeds(timeout_client, very_slow_body):
    """The killed worker is replaced, and the next normal requests get a 200.

    A gradient check always runs in the worker pool. Regression test: a replacement used to
    be handed the next job while it was still starting (importing numpy and the engine),
    and that start-up counted against the job's time bound, so with a short bound each job
    killed the new worker again."""
    r = timeout_client.post("/api/graph", json=very_slow_body)
    assert_error(r, 422, "limit_exceeded")
    r = timeout_client.post("/api/graph", json=TUTORIAL)
    assert r.status_code == 200, r.text[:300]
    results = [timeout_client.post("/api/gradcheck", json=TUTORIAL) for _ in range(3)]
    assert [x.status_code for x in results] == [200, 200, 200], (
        "gradient checks right after a timeout: "
        + "; ".join(f"{x.status_code} {x.text[:120]}" for x in results))


def test_pool_recovers_after_a_timeout_given_time(timeout_client, very_slow_body):
    r = timeout_client.post("/api/graph", json=very_slow_body)
    assert_error(r, 422, "limit_exceeded")
    wait_until_every_worker_is_idle(timeout_client)
    r = timeout_client.post("/api/gradcheck", json=TUTORIAL)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["max_rel_error"] < 1e-6


# ---------------------------------------------------------------- overload

@pytest.fixture(scope="module")
def overload_client():
    c = start_client(workers=1, queue_timeout_s=0.01, timeout_s=5)
    try:
        yield warm(c)
    finally:
        c.__exit__(None, None, None)


def test_overload_gives_503_with_retry_after(overload_client, slow_body):
    barrier = threading.Barrier(4)

    def fire(_):
        barrier.wait()
        return overload_client.post("/api/graph", json=slow_body)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(fire, range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert 500 not in statuses and all(s in (200, 503) for s in statuses), statuses
    assert 200 in statuses, statuses
    busy = [r for r in responses if r.status_code == 503]
    assert busy, statuses
    for r in busy:
        assert_error(r, 503, "overloaded")
        assert int(r.headers["retry-after"]) >= 1
        assert_security_headers(r)
    # and afterwards the single worker serves again
    r = overload_client.post("/api/gradcheck", json=TUTORIAL)
    assert r.status_code == 200, r.text[:300]


def test_large_body_does_not_block_other_requests(client):
    """A body within max_body_bytes (≈8 MB: 4 unused vectors of 1M numbers) must not
    stall the server: /healthz answers promptly while it is processed. (Parsing and
    validating a large body happen in the worker, inside the time bound.)"""
    n = 1_000_000
    vector = b"[" + b",".join([b"0"] * n) + b"]"
    body = (b'{"expression": "x", "values": {"x": 1, '
            + b", ".join(b'"u%d": ' % k + vector for k in range(4)) + b"}}")
    assert len(body) < client.app.state.settings.max_body_bytes
    done = {}

    def big():
        done["response"] = post_raw(client, body)

    thread = threading.Thread(target=big)
    thread.start()
    time.sleep(0.2)  # the big request is being processed
    latencies = []
    while thread.is_alive() and len(latencies) < 20:
        t = time.monotonic()
        assert client.get("/healthz").status_code == 200
        latencies.append(time.monotonic() - t)
    thread.join()
    # Answered: on a loaded machine the request's own time bound may run out first, which is
    # a clear 422, never a 500 or a hang.
    r = done["response"]
    assert r.status_code == 200 or (r.status_code == 422 and r.json()["detail"][0]["type"]
                                    == "limit_exceeded"), (r.status_code, r.text[:300])
    assert max(latencies, default=0.0) < 0.5, (
        f"/healthz took {max(latencies):.2f} s while a {len(body) / 1e6:.0f} MB request "
        "was processed: the event loop is blocked")


# ---------------------------------------------------------------- the server survives

def test_server_still_answers_after_hostile_input(client, small_client, timeout_client,
                                                  overload_client):
    """Runs last in this module: every app instance survived the tests above."""
    for c in (client, small_client, timeout_client, overload_client):
        r = c.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        r = c.post("/api/graph", json=TUTORIAL)
        assert r.status_code == 200, r.text
        assert r.json()["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
        r = c.post("/api/gradcheck", json=TUTORIAL)  # through the worker pool
        assert r.status_code == 200, r.text
        assert r.json()["max_rel_error"] < 1e-6
