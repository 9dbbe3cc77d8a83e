"""POST /api/export: the expression as a runnable PyTorch script (issue 10)."""

import ast

from apikit import assert_error

TUTORIAL = {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}}


def test_the_tutorial_exports_as_a_script_that_prints_every_gradient(client):
    r = client.post("/api/export", json={**TUTORIAL, "to": "torch"})
    assert r.status_code == 200
    body = r.json()
    assert body["to"] == "torch" and body["filename"].endswith(".py")
    tree = ast.parse(body["script"])  # our output, not user text: valid Python
    calls = [n.func.attr for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "backward" in calls
    for name in TUTORIAL["values"]:
        assert f'print("{name}.grad =", {name}.grad.tolist())' in body["script"]
    assert "requires_grad=True" in body["script"] and "float64" in body["script"]


def test_bad_input_gets_a_422_with_its_position(client):
    r = client.post("/api/export", json={"expression": "sigmoid(x", "values": {"x": 1}})
    item = assert_error(r, 422, "syntax_error", loc=["body", "expression"])
    assert item["ctx"]["start"] == 9
    assert_error(client.post("/api/export", json={**TUTORIAL, "to": "jax"}), 422, "literal_error")
    assert_error(client.post("/api/export", json={**TUTORIAL, "extra": 1}), 422, "extra_forbidden")
