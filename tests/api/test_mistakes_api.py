"""POST /api/graph and /api/gradcheck with "mistake", and GET /api/mistakes (issue 10)."""

import re

from apikit import assert_error

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_the_mistakes_are_listed_in_english_and_korean(client):
    r = client.get("/api/mistakes")
    assert r.status_code == 200
    mistakes = r.json()["mistakes"]
    assert [m["name"] for m in mistakes] == ["overwrite_at_forks", "no_broadcast_sum",
                                             "output_for_input"]
    for m in mistakes:
        assert set(m) == {"name", "title", "description"}
        for text in (m["title"], m["description"]):
            assert set(text) == {"en", "ko"} and text["en"] and HANGUL.search(text["ko"])


def test_an_unknown_mistake_is_a_422_without_a_position(client):
    for path in ("/api/graph", "/api/gradcheck"):
        r = client.post(path, json={"expression": "x", "values": {"x": 1}, "mistake": "typo"})
        item = assert_error(r, 422, "unknown_mistake", loc=["body", "mistake"])
        assert "overwrite_at_forks" in item["msg"] and "typo" not in item["msg"]
        assert HANGUL.search(item["ctx"]["msg_ko"]) and "start" not in item["ctx"]


def test_the_graph_answers_the_wrong_pass_with_the_right_one_beside_it(client):
    r = client.post("/api/graph", json={"expression": "x*x + x", "values": {"x": 3},
                                        "mistake": "overwrite_at_forks"})
    assert r.status_code == 200
    body = r.json()
    assert body["gradients"] == {"x": 3.0}  # the last contribution: 1 × x
    assert body["mistake"] == {"name": "overwrite_at_forks", "right_gradients": {"x": 7.0},
                               "wrong_nodes": ["n0"], "wrong_edges": [],
                               "dropped_edges": [0, 3]}
    x = body["nodes"][0]
    assert (x["grad"], x["right_grad"]) == (3.0, 7.0)
    assert [e["right_grad"] for e in body["edges"]] == [3.0, 3.0, 1.0, 1.0]
    overwrites = [s for s in body["steps"] if "overwritten" in s]
    assert [(s["edge"], s["overwritten"], s["accumulated"]) for s in overwrites] == \
        [(0, 1.0, 3.0), (1, 3.0, 3.0)]


def test_without_a_mistake_the_answer_is_unchanged(client):
    plain = client.post("/api/graph", json={"expression": "x*x + x", "values": {"x": 3}})
    null = client.post("/api/graph", json={"expression": "x*x + x", "values": {"x": 3},
                                           "mistake": None})
    assert plain.content == null.content
    assert "mistake" not in plain.json() and "right_grad" not in plain.text


def test_the_un_summed_bias_gradient_has_the_upstream_shape(client):
    r = client.post("/api/graph", json={
        "expression": "W @ X + b", "values": {"W": [[1, 2]], "X": [[1, 0, 3], [0, 1, 1]],
                                              "b": 0.5},
        "output_grad": [[1, -2, 4]], "mistake": "no_broadcast_sum"})
    assert r.status_code == 200
    body = r.json()
    assert body["gradients"]["b"] == [[1.0, -2.0, 4.0]]
    assert body["mistake"]["right_gradients"]["b"] == 3.0


def test_the_gradient_check_fails_where_the_mistake_matters(client):
    def check(expression, values, mistake):
        r = client.post("/api/gradcheck", json={"expression": expression, "values": values,
                                                "mistake": mistake})
        assert r.status_code == 200
        return r.json()

    bad = check("x*x + x", {"x": 3}, "overwrite_at_forks")
    assert bad["mistake"] == "overwrite_at_forks" and bad["max_rel_error"] > 0.5
    assert bad["variables"]["x"]["backprop"] == 3.0
    assert bad["variables"]["x"]["right_backprop"] == 7.0
    assert abs(bad["variables"]["x"]["numeric"] - 7.0) < 1e-6
    assert check("x*y", {"x": 3, "y": 2}, "overwrite_at_forks")["max_rel_error"] < 1e-6
    assert check("sigmoid(x)", {"x": 1}, "output_for_input")["max_rel_error"] == 1.0
    assert check("sum(W @ X + b)", {"W": [[1, 2]], "X": [[1, 0], [0, 1]], "b": 1},
                 "no_broadcast_sum")["max_rel_error"] == "Infinity"
