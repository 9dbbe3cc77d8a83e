"""A bad variable name over REST is explained in Korean too (`ctx.msg_ko`, as expression
errors are), and the error names the key whenever the key is plain words, without ever
echoing markup."""

import pytest
from apikit import HANGUL, assert_error, graph

from app.engine.names import name_problem


@pytest.mark.parametrize("key", ["1x", "\uff58", "e\u0301", "x\u00b2", "a" * 33, "__x", ""])
def test_a_bad_values_key_names_the_key_and_says_why_in_both_languages(client, key):
    item = assert_error(graph(client, "x", {"x": 1, key: 1}), 422, "string_pattern_mismatch")
    assert item["loc"] == ["body", "values", key, "[key]"]
    _kind, index, msg, msg_ko = name_problem(key)
    assert item["msg"] == f"not a valid variable name: {msg}"
    assert item["ctx"] == {"index": index,
                           "msg_ko": f"올바른 변수 이름이 아닙니다: {msg_ko}"}


def test_a_leading_digit_is_explained_in_korean(client):
    item = assert_error(graph(client, "x", {"1x": 1}), 422, "string_pattern_mismatch")
    assert item["ctx"]["msg_ko"] == (
        "올바른 변수 이름이 아닙니다: 이름은 U+0031 DIGIT ONE(으)로 시작할 수 없습니다")


def test_a_key_not_in_nfkc_form_gets_the_korean_hint_with_its_plain_form(client):
    item = assert_error(graph(client, "x", {"\uff58": 1}), 422, "string_pattern_mismatch")
    assert "NFKC" in item["ctx"]["msg_ko"] and "'x'" in item["ctx"]["msg_ko"]
    assert HANGUL.search(item["ctx"]["msg_ko"])


def test_a_markup_key_is_described_in_both_languages_and_never_echoed(client):
    r = graph(client, "x", {"x": 1, "<b>x</b>": 1})
    item = assert_error(r, 422, "string_pattern_mismatch")
    assert item["loc"] == ["body", "values", "<key>", "[key]"]
    assert "LESS-THAN SIGN" in item["ctx"]["msg_ko"]
    assert "<b>" not in r.text


def test_params_and_batch_names_are_explained_in_korean_too(client):
    body = {"expression": "(w*x - y)**2", "values": {"w": 0.5, "x": [[1.0]], "y": [[2.0]]},
            "params": ["1w"], "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 1}
    item = assert_error(client.post("/api/train", json=body), 422, "string_pattern_mismatch")
    assert item["loc"] == ["body", "params", 0]
    assert HANGUL.search(item["ctx"]["msg_ko"])
    body["params"] = ["w"]
    body["batch"] = {"size": 1, "data": ["x\u00b2"]}
    item = assert_error(client.post("/api/train", json=body), 422, "string_pattern_mismatch")
    assert item["loc"][:3] == ["body", "batch", "data"]
    assert "SUPERSCRIPT TWO" in item["ctx"]["msg_ko"]


def test_other_validation_errors_carry_no_korean_message(client):
    item = assert_error(graph(client, "x", {"x": "1"}), 422, "float_type")
    assert "msg_ko" not in item["ctx"]
