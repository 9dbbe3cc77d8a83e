"""The REST API's contract (README "REST API", docs/engine.md): every endpoint, the graph
payload, the trace, tensors, summaries, gradcheck, ops, examples, docs, security headers, CORS and every
expression error type with its exact location."""

import math
import re

import numpy as np
import pytest
from apikit import HANGUL, TUTORIAL, assert_error, assert_security_headers, graph, start_client

GRAPH_FIELDS = {"expression", "values", "output_grad", "expand"}


# ---------------------------------------------------------------- helpers

def check_trace(body):
    """The invariants of `steps` (docs/engine.md): forward events per op node in topological
    order, the seed, one backward event per edge; contributions add up to each node's grad."""
    nodes = {n["id"]: n for n in body["nodes"]}
    order = [n["id"] for n in body["nodes"]]
    edges = {e["id"]: e for e in body["edges"]}
    steps = body["steps"]
    forward = [s for s in steps if s["phase"] == "forward"]
    backward = [s for s in steps if s["phase"] == "backward"]
    assert steps == forward + backward, "forward events come first"
    assert all(s["kind"] == "node" for s in forward)
    op_ids = [n["id"] for n in body["nodes"] if n["kind"] == "op"]
    assert [s["node"] for s in forward] == op_ids
    for s in forward:
        assert s["value"] == nodes[s["node"]]["value"]
    # nodes are in topological order: inputs before the nodes that use them
    for n in body["nodes"]:
        for i in n["inputs"]:
            assert order.index(i) < order.index(n["id"])
    seed, edge_events = backward[0], backward[1:]
    assert seed["kind"] == "seed" and seed["node"] == body["output"]
    assert all(s["kind"] == "edge" for s in edge_events)
    assert sorted(s["edge"] for s in edge_events) == sorted(edges), "one event per edge"
    # the op nodes' events come in reverse topological order
    targets = [s["target"] for s in edge_events]
    positions = [order.index(t) for t in targets]
    assert positions == sorted(positions, reverse=True)
    sums = {}
    for s in edge_events:
        e = edges[s["edge"]]
        assert (s["source"], s["target"], s["index"]) == (e["source"], e["target"], e["index"])
        assert nodes[s["target"]]["inputs"][s["index"]] == s["source"]
        assert s["contribution"] == e["grad"]
        if nodes[s["source"]]["shape"] == [] and nodes[s["target"]]["shape"] == []:
            assert isinstance(s["local"], float)
            assert s["contribution"] == s["upstream"] * s["local"]
            assert s["upstream"] == nodes[s["target"]]["grad"]
            sums[s["source"]] = sums.get(s["source"], 0.0) + s["contribution"]
            assert s["accumulated"] == pytest.approx(sums[s["source"]])
        else:
            assert isinstance(s["local"], str) and s["local"]
            assert set(s["shapes"]) >= {"upstream", "source"}
    for node_id, total in sums.items():
        assert total == pytest.approx(nodes[node_id]["grad"])
        last = [s for s in edge_events if s["source"] == node_id][-1]
        assert last["accumulated"] == pytest.approx(nodes[node_id]["grad"])
    return forward, seed, edge_events


# ---------------------------------------------------------------- POST /api/graph

def test_tutorial_chain_rule(client):
    r = client.post("/api/graph", json=TUTORIAL)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"expression", "output", "value", "gradients", "nodes", "edges",
                         "steps", "warnings"}
    assert body["expression"] == "(x+y)*z"
    assert body["value"] == -12.0
    assert body["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert body["warnings"] == []
    nodes = {n["id"]: n for n in body["nodes"]}
    assert len(nodes) == len(body["nodes"]) == 5
    by_name = {n["name"]: n for n in body["nodes"] if n["kind"] == "variable"}
    assert sorted(by_name) == ["x", "y", "z"]
    assert by_name["x"]["span"] == [1, 2] and by_name["z"]["span"] == [6, 7]
    q = [n for n in body["nodes"] if n["op"] == "add"][0]
    f = nodes[body["output"]]
    assert (q["value"], q["grad"], q["span"]) == (3.0, -4.0, [1, 4])
    assert (f["op"], f["value"], f["grad"], f["span"]) == ("mul", -12.0, 1.0, [0, 7])
    assert f["inputs"] == [q["id"], by_name["z"]["id"]]
    assert q["inputs"] == [by_name["x"]["id"], by_name["y"]["id"]]
    for n in body["nodes"]:
        assert n["shape"] == []
        assert isinstance(n["label"], str) and n["label"]
    assert len(body["edges"]) == 4
    for e in body["edges"]:
        assert e["source"] in nodes and e["target"] in nodes
        assert nodes[e["target"]]["inputs"][e["index"]] == e["source"]
    edge_grads = {(e["source"], e["target"]): e["grad"] for e in body["edges"]}
    assert edge_grads[(by_name["z"]["id"], f["id"])] == 3.0
    assert edge_grads[(q["id"], f["id"])] == -4.0
    forward, seed, edge_events = check_trace(body)
    assert [s["value"] for s in forward] == [3.0, -12.0]
    assert seed["grad"] == 1.0
    assert len(edge_events) == 4
    mul_z = [s for s in edge_events if s["source"] == by_name["z"]["id"]][0]
    assert (mul_z["upstream"], mul_z["local"], mul_z["contribution"]) == (1.0, 3.0, 3.0)


def test_named_stages_put_names_on_nodes(client):
    r = graph(client, "q = x + y\nf = q * z", TUTORIAL["values"])
    assert r.status_code == 200, r.text
    body = r.json()
    names = {n["name"]: n for n in body["nodes"] if n["name"]}
    assert names["q"]["op"] == "add" and names["q"]["value"] == 3.0
    assert names["f"]["id"] == body["output"] and names["f"]["value"] == -12.0
    assert body["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_variable_used_twice_is_one_node_and_fork_contributions_sum(client):
    r = graph(client, "x*x + x", {"x": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == 12.0
    assert body["gradients"] == {"x": 7.0}
    xs = [n for n in body["nodes"] if n["kind"] == "variable"]
    assert len(xs) == 1 and xs[0]["name"] == "x" and xs[0]["grad"] == 7.0
    x_edges = [e for e in body["edges"] if e["source"] == xs[0]["id"]]
    assert len(x_edges) == 3  # x*x has two edges from x, + x one more
    assert sum(e["grad"] for e in x_edges) == 7.0
    _, _, edge_events = check_trace(body)
    into_x = [s for s in edge_events if s["source"] == xs[0]["id"]]
    assert sorted(s["contribution"] for s in into_x) == [1.0, 3.0, 3.0]
    assert into_x[-1]["accumulated"] == 7.0


def test_staged_fork_gradient_accumulates(client):
    # q feeds two consumers: its gradient is the sum of both contributions
    r = graph(client, "q = x + y; f = q * z + q", TUTORIAL["values"])
    assert r.status_code == 200, r.text
    body = r.json()
    q = [n for n in body["nodes"] if n["name"] == "q"][0]
    assert q["grad"] == -4.0 + 1.0
    _, _, events = check_trace(body)
    into_q = [s for s in events if s["source"] == q["id"]]
    assert len(into_q) == 2 and sum(s["contribution"] for s in into_q) == q["grad"]


def test_output_grad_seeds_the_backward_pass(client):
    r = client.post("/api/graph", json={**TUTORIAL, "output_grad": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == -12.0
    assert body["gradients"] == {"x": -8.0, "y": -8.0, "z": 6.0}
    _, seed, _ = check_trace(body)
    assert seed["grad"] == 2.0


def test_add_gate_distributes_upstream(client):
    r = graph(client, "x + y", {"x": -2, "y": 5}, output_grad=-4)
    assert r.status_code == 200, r.text
    assert r.json()["gradients"] == {"x": -4.0, "y": -4.0}


def test_output_grad_of_the_wrong_shape_is_shape_mismatch(client):
    r = graph(client, "W @ X", {"W": [[1, 2]], "X": [[1], [2]]}, output_grad=[[1, 2]])
    item = assert_error(r, 422, "shape_mismatch", loc=["body", "output_grad"])
    assert HANGUL.search(item["ctx"]["msg_ko"])


def test_expand_gives_same_values_and_gradients_with_more_nodes(client):
    values = {"w0": 2, "w1": -3, "w2": -3, "x0": -1, "x1": -2}
    expr = "sigmoid(w0*x0 + w1*x1 + w2)"
    atomic = graph(client, expr, values)
    expanded = graph(client, expr, values, expand=True)
    assert atomic.status_code == expanded.status_code == 200
    a, b = atomic.json(), expanded.json()
    assert a["value"] == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-12)
    assert b["value"] == pytest.approx(a["value"], rel=1e-12)
    assert set(a["gradients"]) == set(b["gradients"]) == set(values)
    for name in values:
        assert b["gradients"][name] == pytest.approx(a["gradients"][name], rel=1e-12)
    # the tutorial's numbers: dw = [-0.2, -0.39], dx = [0.39, -0.59]
    assert a["gradients"]["w0"] == pytest.approx(-0.1966, abs=1e-4)
    assert a["gradients"]["x1"] == pytest.approx(-0.5898, abs=1e-4)
    assert len(b["nodes"]) > len(a["nodes"])
    assert any(n["op"] == "sigmoid" for n in a["nodes"])
    assert not any(n["op"] == "sigmoid" for n in b["nodes"])
    blocks = [n for n in b["nodes"] if n.get("block")]
    assert blocks and all(n["block"]["op"] == "sigmoid" for n in blocks)
    check_trace(a)
    check_trace(b)


def test_matmul_gradients_are_G_Xt_and_Wt_G(client):
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    X = np.array([[1.0, -1.0], [0.5, 2.0], [-3.0, 1.0]])
    G = np.array([[1.0, -2.0], [0.5, 3.0]])
    r = graph(client, "D = W @ X", {"W": W.tolist(), "X": X.tolist()}, output_grad=G.tolist())
    assert r.status_code == 200, r.text
    body = r.json()
    np.testing.assert_allclose(np.array(body["value"]), W @ X)
    dW, dX = np.array(body["gradients"]["W"]), np.array(body["gradients"]["X"])
    assert dW.shape == W.shape and dX.shape == X.shape
    np.testing.assert_allclose(dW, G @ X.T)
    np.testing.assert_allclose(dX, W.T @ G)
    nodes = {n["id"]: n for n in body["nodes"]}
    d = nodes[body["output"]]
    assert d["name"] == "D" and d["op"] == "matmul" and d["shape"] == [2, 2]
    assert {n["name"]: n["shape"] for n in body["nodes"] if n["kind"] == "variable"} == \
        {"W": [2, 3], "X": [3, 2]}
    _, seed, events = check_trace(body)
    assert seed["grad"] == G.tolist()
    by_index = {s["index"]: s for s in events}
    assert "ᵀ" in by_index[0]["local"] and "ᵀ" in by_index[1]["local"]
    assert by_index[0]["shapes"]["source"] == [2, 3]
    assert by_index[1]["shapes"]["source"] == [3, 2]
    assert by_index[0]["shapes"]["upstream"] == [2, 2]


def test_broadcast_gradient_is_unbroadcast_to_operand_shape(client):
    W = [[1.0, 2.0], [3.0, 4.0]]
    r = graph(client, "sum(W @ X + b)", {"W": W, "X": [[1.0], [1.0]], "b": [[0.5], [-0.5]]})
    assert r.status_code == 200, r.text
    grads = r.json()["gradients"]
    assert np.array(grads["b"]).shape == (2, 1)
    np.testing.assert_allclose(grads["b"], [[1.0], [1.0]])
    np.testing.assert_allclose(grads["W"], [[1.0, 1.0], [1.0, 1.0]])


def test_transpose_of_a_matrix(client):
    """Regression test; it used to fail like this: any matrix `transpose` gives 500 internal_error from
    /api/graph (the transposed array is not C-contiguous and orjson refuses to encode it),
    and /api/gradcheck answers 422 limit_exceeded "took longer than 2.0 s" within
    milliseconds (the worker process died of the same TypeError)."""
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    r = graph(client, "transpose(W)", {"W": W.tolist()})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["value"] == W.T.tolist()
    assert r.json()["gradients"]["W"] == np.ones((2, 3)).tolist()
    r = graph(client, "sum(W @ transpose(W))", {"W": W.tolist()})
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(r.json()["gradients"]["W"], 2 * np.ones((2, 2)) @ W)
    r = client.post("/api/gradcheck", json={"expression": "sum(W @ transpose(W))",
                                            "values": {"W": W.tolist()}})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["max_rel_error"] < 1e-6


def test_vectors_round_trip(client):
    r = graph(client, "dot(a, b)", {"a": [1, 2, 3], "b": [4, 5, 6]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["value"] == 32.0
    assert body["gradients"] == {"a": [4.0, 5.0, 6.0], "b": [1.0, 2.0, 3.0]}


def test_large_tensors_are_summarised(small_client):
    M = (np.arange(25.0).reshape(5, 5) - 12).tolist()
    r = graph(small_client, "W @ X", {"W": M, "X": np.eye(5).tolist()})
    assert r.status_code == 200, r.text
    body = r.json()
    value = body["value"]
    assert value["summary"] is True
    assert value["shape"] == [5, 5] and value["size"] == 25 and value["non_finite"] == 0
    assert (value["min"], value["max"], value["mean"]) == (-12.0, 12.0, 0.0)
    assert body["gradients"]["W"]["summary"] is True
    assert body["gradients"]["W"]["shape"] == [5, 5]
    for n in body["nodes"]:
        assert n["value"]["summary"] is True and n["grad"]["summary"] is True
    for e in body["edges"]:
        assert e["grad"]["summary"] is True
    # 16 elements is at the limit: sent in full
    r = graph(small_client, "W * 2", {"W": np.ones((4, 4)).tolist()})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == (2 * np.ones((4, 4))).tolist()


# ---------------------------------------------------------------- POST /api/gradcheck

def test_gradcheck_tutorial(client):
    r = client.post("/api/gradcheck", json=TUTORIAL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["variables"]) == {"x", "y", "z"}
    assert body["max_rel_error"] < 1e-6
    assert body["forward_evals"] == 2 * 3
    assert body["backward_passes"] == 1
    assert body["eps"] == 1e-6
    for name, expected in {"x": -4.0, "y": -4.0, "z": 3.0}.items():
        v = body["variables"][name]
        assert v["backprop"] == expected
        assert v["numeric"] == pytest.approx(expected, rel=1e-6)
        assert v["max_rel_error"] < 1e-6
        assert v["checked"] == v["elements"] == 1


def test_gradcheck_matmul_with_eps(client):
    values = {"W": [[1, 2, 3], [4, 5, 6]], "X": [[1, 0], [0, 1], [1, 1]]}
    r = client.post("/api/gradcheck", json={"expression": "sum(W @ X)", "values": values,
                                            "eps": 1e-5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["eps"] == 1e-5
    assert body["forward_evals"] == 2 * (6 + 6)
    assert body["max_rel_error"] < 1e-6
    for name in ("W", "X"):
        v = body["variables"][name]
        assert np.array(v["backprop"]).shape == np.array(values[name]).shape
        np.testing.assert_allclose(v["numeric"], v["backprop"], rtol=1e-6)
        assert v["checked"] == v["elements"] == 6


def test_gradcheck_errors_like_graph(client):
    r = client.post("/api/gradcheck", json={"expression": "(x+y))*z", "values": {}})
    assert_error(r, 422, "syntax_error", loc=["body", "expression"], start=5, end=6)
    r = client.post("/api/gradcheck", json={**TUTORIAL, "eps": 0})
    assert_error(r, 422, "greater_than", loc=["body", "eps"])


# ---------------------------------------------------------------- POST /api/parse

@pytest.mark.parametrize("expression,variables,names", [
    ("(x+y)*z", ["x", "y", "z"], []),
    ("q = x + y\nf = q * z", ["x", "y", "z"], ["q", "f"]),
    ("y * x + y", ["y", "x"], []),  # in order of first use
    ("2 * pi + e", [], []),
])
def test_parse_lists_free_variables(client, expression, variables, names):
    r = client.post("/api/parse", json={"expression": expression})
    assert r.status_code == 200, r.text
    assert r.json() == {"variables": variables, "names": names}


def test_parse_errors_are_located(client):
    r = client.post("/api/parse", json={"expression": "(x+y))*z"})
    assert_error(r, 422, "syntax_error", loc=["body", "expression"], start=5, end=6)
    r = client.post("/api/parse", json={"expression": "x+"})
    assert_error(r, 422, "syntax_error", loc=["body", "expression"], start=2, end=2)
    r = client.post("/api/parse", json={"expression": "<script>alert(1)</script>"})
    assert_error(r, 422, "invalid_character", start=0, end=1)
    assert "<script" not in r.text
    r = client.post("/api/parse", json={"expression": "x", "values": {}})
    assert_error(r, 422, "extra_forbidden", loc=["body", "values"])
    r = client.post("/api/parse", content=b"{}", headers={"content-type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


# ---------------------------------------------------------------- GET endpoints

DOCUMENTED_FUNCTIONS = {  # docs/engine.md "The language", name → arity
    "exp": 1, "log": 1, "sqrt": 1, "abs": 1, "sin": 1, "cos": 1, "tanh": 1, "sigmoid": 1,
    "relu": 1, "max": 2, "min": 2, "pow": 2, "sum": 1, "mean": 1, "transpose": 1, "dot": 2,
    "softmax": 1, "mse": 2, "cross_entropy": 2, "softmax_cross_entropy": 2,
}
DOCUMENTED_OPERATORS = {"+": 2, "-": 2, "*": 2, "/": 2, "@": 2}


def test_ops_lists_every_function(client):
    r = client.get("/api/ops")
    assert r.status_code == 200
    ops = r.json()  # a list of ops
    by_name = {op["name"]: op for op in ops}
    for name, arity in DOCUMENTED_FUNCTIONS.items():
        assert name in by_name, name
        op = by_name[name]
        assert op["arity"] == arity, name
        assert op["description"]["en"].strip(), name
        assert HANGUL.search(op["description"]["ko"]), name
        assert op["latex"] and all(isinstance(s, str) and s for s in op["latex"]), name
        assert op["syntax"].startswith(name + "("), name
    syntaxes = {op["syntax"]: op for op in ops if op["kind"] == "operator"}
    for symbol, arity in DOCUMENTED_OPERATORS.items():
        matching = [op for s, op in syntaxes.items() if f" {symbol} " in s]
        assert matching and matching[0]["arity"] == arity, symbol
        assert matching[0]["latex"] and HANGUL.search(matching[0]["description"]["ko"])
    gates = {op["name"]: op["gate"] for op in ops}
    assert (gates["add"], gates["max"], gates["mul"]) == ("distribute", "route", "swap")


def test_examples_all_evaluate_without_warnings(client):
    r = client.get("/api/examples")
    assert r.status_code == 200, r.text
    examples = r.json()  # a list of presets
    assert len(examples) >= 12
    assert all(ex["section_title"]["en"] and HANGUL.search(ex["section_title"]["ko"])
               for ex in examples)
    ids = [ex["id"] for ex in examples]
    assert len(set(ids)) == len(ids)
    for ex in examples:
        assert ex["title"]["en"] and HANGUL.search(ex["title"]["ko"]), ex["id"]
        request = {k: ex[k] for k in GRAPH_FIELDS if k in ex}
        assert "expression" in request, ex
        res = client.post("/api/graph", json=request)
        assert res.status_code == 200, (ex, res.text[:500])
        assert res.json()["warnings"] == [], ex


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_docs_page_is_local(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "/static/vendor/swagger-ui-dist/" in r.text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", r.text), r.text
    assert "unpkg" not in r.text and "jsdelivr" not in r.text and "cdn" not in r.text.lower()
    for asset in re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", r.text):
        a = client.get(asset)
        assert a.status_code == 200, asset
        assert_security_headers(a)
    assert_security_headers(r)


def test_openapi_has_the_tutorial_example(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    post = r.json()["paths"]["/api/graph"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    expressions = [ex["value"]["expression"] for ex in examples.values()]
    assert "(x+y)*z" in expressions
    tutorial = [ex["value"] for ex in examples.values() if ex["value"]["expression"] == "(x+y)*z"]
    assert tutorial[0]["values"] == {"x": -2, "y": 5, "z": -4}
    # every documented example is itself a valid request
    for ex in examples.values():
        res = client.post("/api/graph", json=ex["value"])
        assert res.status_code == 200, (ex, res.text[:300])


# ---------------------------------------------------------------- headers, CORS

@pytest.mark.parametrize("method,path,kwargs,status", [
    ("get", "/", {}, 200),
    ("get", "/docs", {}, 200),
    ("get", "/healthz", {}, 200),
    ("get", "/api/ops", {}, 200),
    ("get", "/openapi.json", {}, 200),
    ("get", "/api/graph", {}, 405),
    ("get", "/no/such/page", {}, 404),
    ("post", "/api/graph", {"json": TUTORIAL}, 200),
    ("post", "/api/graph", {"json": {"expression": "x+", "values": {}}}, 422),
    ("post", "/api/graph", {"content": b"{", "headers": {"content-type": "application/json"}},
     422),
    ("post", "/api/graph", {"content": b"{}", "headers": {"content-type": "text/plain"}}, 415),
])
def test_security_headers_everywhere(client, method, path, kwargs, status):
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.text[:300]
    assert_security_headers(r)
    assert "access-control-allow-origin" not in r.headers


def test_security_headers_on_413(small_client):
    r = small_client.post("/api/graph", content=b" " * 2000,
                          headers={"content-type": "application/json"})
    assert_error(r, 413, "body_too_large")
    assert_security_headers(r)


def test_no_cors_headers_by_default(client):
    origin = {"origin": "https://elsewhere.example"}
    r = client.get("/healthz", headers=origin)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    r = client.post("/api/graph", json=TUTORIAL, headers=origin)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    r = client.options("/api/graph", headers={**origin, "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in r.headers


@pytest.fixture(scope="module")
def cors_client():
    c = start_client(cors_origins="https://good.example, https://other.example", workers=1)
    try:
        yield c
    finally:
        c.__exit__(None, None, None)


def test_cors_when_configured(cors_client):
    r = cors_client.get("/healthz", headers={"origin": "https://good.example"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://good.example"
    assert_security_headers(r)
    r = cors_client.get("/healthz", headers={"origin": "https://other.example"})
    assert r.headers["access-control-allow-origin"] == "https://other.example"
    r = cors_client.options("/api/graph", headers={
        "origin": "https://good.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://good.example"
    assert "POST" in r.headers["access-control-allow-methods"]
    r = cors_client.get("/healthz", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


# ---------------------------------------------------------------- expression errors

V = {"x": 1, "y": 2, "a": [[1, 2]], "b": [[1, 2]], "big": [[1.0] * 60000],
     "tall": [[1.0]] * 60000}
EXPR = ["body", "expression"]

ERRORS = [
    # expression, type, loc, start, end
    ("(x+y))*z", "syntax_error", EXPR, 5, 6),
    ("x+", "syntax_error", EXPR, 2, 2),
    ("x y", "syntax_error", EXPR, 2, 3),
    ("x = 1; x = 2", "syntax_error", EXPR, 7, 8),
    ("x $ y", "invalid_character", EXPR, 2, 3),
    ("x \u2013 y", "invalid_character", EXPR, 2, 3),  # en dash (U+2212 is `-`)
    ("foo(x)", "unknown_function", EXPR, 0, 3),
    ("x + q", "missing_value", ["body", "values", "q"], 4, 5),
    ("q*x + q", "missing_value", ["body", "values", "q"], 0, 1),  # at its first use
    ("pi = 3", "reserved_name", EXPR, 0, 2),
    ("__x + 1", "reserved_name", EXPR, 0, 3),
    ("sin(x, y)", "arity", EXPR, 0, 9),
    ("a @ b", "shape_mismatch", EXPR, 0, 5),
    ("x + 1e999", "invalid_value", EXPR, 4, 9),
    ("-" * 300 + "x", "limit_exceeded", EXPR, 256, 257),
    ("big + tall", "limit_exceeded", EXPR, 0, 10),
]


@pytest.mark.parametrize("expression,type_,loc,start,end", ERRORS,
                         ids=[f"{e[1]}-{i}" for i, e in enumerate(ERRORS)])
def test_expression_errors(client, expression, type_, loc, start, end):
    values = V if "big" in expression else {k: v for k, v in V.items() if len(str(v)) < 100}
    r = graph(client, expression, values)
    item = assert_error(r, 422, type_, loc=loc, start=start, end=end)
    ctx = item["ctx"]
    assert set(ctx) >= {"start", "end", "msg_ko"}
    assert 0 <= ctx["start"] <= ctx["end"] <= len(expression) + 1
    assert isinstance(ctx["msg_ko"], str) and HANGUL.search(ctx["msg_ko"]), ctx
    assert not HANGUL.search(item["msg"])  # msg is English
    if len(expression) >= 4:
        assert expression not in r.text  # no echo of the input
    assert_security_headers(r)


def test_every_error_type_is_covered():
    assert {e[1] for e in ERRORS} == {
        "syntax_error", "invalid_character", "unknown_function", "missing_value",
        "reserved_name", "arity", "shape_mismatch", "invalid_value", "limit_exceeded"}


def test_unused_values_are_ignored(client):
    r = graph(client, "x * 2", {"x": 1, "unused": [[1, 2], [3, 4]]})
    assert r.status_code == 200, r.text
    assert r.json()["gradients"] == {"x": 2.0}


def test_error_count_is_capped(client):
    r = client.post("/api/graph", json={"expression": "x",
                                        "values": {f"v{i}": "bad" for i in range(50)}})
    item = assert_error(r, 422, "float_type")
    detail = r.json()["detail"]
    assert len(detail) == client.app.state.settings.max_errors + 1
    assert detail[-1]["type"] == "too_many_errors"
    assert item["loc"][:3] == ["body", "values", "v0"]


def test_asked_ahead_a_graph_is_the_same_and_a_refusal_is_204_without_a_body(client):
    """`?ahead=1` (the page asks for Run's answer while the user pauses): the same answer
    for a good request; for one the engine refuses, 204 and no body, where the click (no
    `ahead`) gets the error with its place."""
    plain = client.post("/api/graph", json=TUTORIAL)
    asked = client.post("/api/graph?ahead=1", json=TUTORIAL)
    assert asked.status_code == 200 and asked.content == plain.content
    assert asked.json()["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}  # the tutorial's
    refused = [{"expression": "W @ X", "values": {"W": 1, "X": 1}},  # half-typed: scalar defaults
               {"expression": "(x+y)*", "values": {}},
               {"expression": "x*y", "values": {"x": 1}}]
    for body in refused:
        r = client.post("/api/graph?ahead=1", json=body)
        assert (r.status_code, r.content) == (204, b""), body
        assert client.post("/api/graph", json=body).status_code == 422, body
        assert client.post("/api/graph?ahead=0", json=body).status_code == 422, body
    assert_error(client.post("/api/graph?ahead=maybe", json=TUTORIAL), 422, "bool_parsing")
