"""Variable names over REST follow the engine's one rule (app/engine/names.py): Hangul and
Greek names work, and a bad `values` key gets a readable 422 naming its problem, without
echoing markup."""

from apikit import assert_error, graph


def test_hangul_and_greek_names_work_over_rest(client):
    r = graph(client, "가중치 * θ", {"가중치": 3, "θ": 0.5})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == 1.5
    assert r.json()["gradients"] == {"가중치": 0.5, "θ": 3.0}


def test_a_bad_key_names_its_problem_and_where(client):
    r = graph(client, "x", {"x": 1, "x\u00b2": 1})
    item = assert_error(r, 422, "string_pattern_mismatch")
    assert item["loc"] == ["body", "values", "x\u00b2", "[key]"]
    assert item["msg"] == ("not a valid variable name: U+00B2 SUPERSCRIPT TWO cannot be part "
                           "of a name")
    assert item["ctx"] == {"index": 1, "msg_ko": "올바른 변수 이름이 아닙니다: U+00B2 SUPERSCRIPT "
                                                 "TWO은(는) 이름에 쓸 수 없습니다"}


def test_a_full_width_key_is_refused_with_an_nfkc_hint(client):
    r = graph(client, "x", {"x": 1, "\uff58": 1})
    item = assert_error(r, 422, "string_pattern_mismatch")
    assert "NFKC" in item["msg"] and "'x'" in item["msg"]


def test_a_long_key_and_a_dunder_key_say_so(client):
    item = assert_error(graph(client, "x", {"x": 1, "a" * 33: 1}), 422,
                        "string_pattern_mismatch")
    assert "at most 32 characters" in item["msg"]
    item = assert_error(graph(client, "x", {"x": 1, "__x": 1}), 422, "string_pattern_mismatch")
    assert "'__'" in item["msg"] and "reserved" in item["msg"]


def test_a_markup_key_is_described_not_echoed(client):
    r = graph(client, "x", {"x": 1, "<b>x</b>": 1})
    item = assert_error(r, 422, "string_pattern_mismatch")
    assert item["loc"] == ["body", "values", "<key>", "[key]"]
    assert "LESS-THAN SIGN" in item["msg"]
    assert "<b>" not in r.text


def test_params_and_batch_names_use_the_same_rule(client):
    body = {"expression": "(w*x - y)**2", "values": {"w": 0.5, "x": 1.0, "y": 2.0},
            "params": ["w\uff58"], "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 1}
    item = assert_error(client.post("/api/train", json=body), 422, "string_pattern_mismatch")
    assert item["loc"][:2] == ["body", "params"]
    body["params"] = ["가중치"]
    body["expression"] = "(가중치*x - y)**2"
    body["values"] = {"가중치": 0.5, "x": 1.0, "y": 2.0}
    r = client.post("/api/train", json=body)
    assert r.status_code == 200, r.text
