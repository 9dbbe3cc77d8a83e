"""Issue 11, "each op's display facts live in its registry entry": every op says how it is
written, its local derivatives and its gate's sentences in both languages; what a node's
text says parses back to the same computation (the round trip), over every op, expanded
and not, and over every preset."""

import re

import numpy as np
import pytest

from app.engine import evaluate
from app.engine.ops import OPS
from app.engine.writing import ELLIPSIS, MAX_TEXT, derivative, gate_case, is_atomic, render
from app.examples import EXAMPLES

M = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]  # 2×3
V3 = [0.3, -0.2, 0.9]
P = [[0.2, 0.7], [0.8, 0.3]]  # columns are distributions
Y = [[0.0, 1.0], [1.0, 0.0]]
VALUES = {"x": 1.5, "y": -0.5, "z": 2.0, "u": 0.25, "M": M, "W": [[0.5, -1.0], [2.0, 0.5]],
          "X": [[1.0, 2.0], [-1.0, 0.5]], "v": V3, "w": [1.0, 2.0, -1.0], "P": P, "Y": Y}

# Each op in several places: as an operand of others, with compound and negative operands,
# with a constant, inside named stages. Every op of the language appears (checked below).
PROGRAMS = [
    "(x + y) * z", "x - y - z", "x - (y - z)", "-x * -y", "−(x + y) / z ** 2",
    "x ** y ** 2", "(x ** 2) ** 0.5", "-x ** 2", "x ^ -y", "pow(x + 1, 2)",
    "max(x, y) + min(x * 2, -z)", "exp(-x) + log(z) * sqrt(z + x)", "abs(y) - sin(x) / cos(u)",
    "tanh(x - y) + sigmoid(u * x) * relu(y) + relu(x)", "q = x * y; r = q + z; r * q - 1 / r",
    "sigmoid(x * 2 + y * -3 + 1)", "1 / (1 + exp(-(x * u + y)))", "pi * x + e ^ y",
    "sum(M * 2) + mean(M - 1)", "sum(transpose(M) @ W) + sum(M @ v)", "sum(W @ X + 1)", "dot(v, w) * x",
    "dot(x, y) + v · w", "sum(softmax(W @ X) * 3)", "mse(W @ X, Y) + mse(v, w)",
    "cross_entropy(P, Y)", "softmax_cross_entropy(W @ X - 1, Y)", "sum(sqrt(abs(M)) ÷ 2) × x",
]


def _canon(nodes, node_id, root):
    """A node's computation as a tree: ops by name, constants by value, named nodes (other
    than the root) by name."""
    n = nodes[node_id]
    if n["name"] and (node_id != root or n["kind"] != "op"):
        return ("name", n["name"])
    if n["kind"] == "constant":
        return ("const", float(n["value"]))
    return (n["op"], *(_canon(nodes, i, root) for i in n["inputs"]))


def _round_trip(expression, values, expand):
    r = evaluate(expression, values, expand=expand)
    nodes = {n["id"]: n for n in r.nodes}
    named = {n["name"]: n["value"] for n in r.nodes if n["name"]}
    checked = 0
    for n in r.nodes:
        if n["kind"] != "op" or n["name"] or ELLIPSIS in n["text"]:
            continue
        tree = _canon(nodes, n["id"], n["id"])
        if {"colsum", "samples"} & set(re.findall(r"'(\w+)'", repr(tree))):
            continue  # internal ops of expansions are not part of the language
        back = evaluate(n["text"], {k: v for k, v in named.items() if re.search(
            rf"(?<!\w){re.escape(k)}(?!\w)", n["text"])}, expand=expand)
        back_nodes = {m["id"]: m for m in back.nodes}
        assert _canon(back_nodes, back.output, back.output) == tree, (expression, n["text"])
        np.testing.assert_allclose(back.value, n["value"], rtol=1e-12, atol=1e-12,
                                   err_msg=f"{expression}: {n['text']}")
        checked += 1
    return r, checked


@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
@pytest.mark.parametrize("expression", PROGRAMS)
def test_every_node_text_parses_back_to_the_same_computation(expression, expand):
    _, checked = _round_trip(expression, VALUES, expand)
    assert checked


def test_the_programs_use_every_op_of_the_language():
    seen = set()
    for expression in PROGRAMS:
        for expand in (False, True):
            seen |= {n["op"] for n in evaluate(expression, VALUES, expand=expand).nodes}
    assert seen - {None} == set(OPS)


@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["id"])
def test_every_preset_node_text_parses_back(example, expand):
    values = {k: np.asarray(v, dtype=float) if isinstance(v, list) else v
              for k, v in example["values"].items()}
    r, _ = _round_trip(example["expression"], values, expand)
    assert all("#" not in n["text"] for n in r.nodes)


def test_long_texts_are_cut_in_the_middle_and_bounded():
    expression = " + ".join(f"x{i} * y{i}" for i in range(400))
    r = evaluate(expression, {f"{c}{i}": 1.0 for i in range(400) for c in "xy"})
    texts = [n["text"] for n in r.nodes]
    assert max(map(len, texts)) <= MAX_TEXT
    assert texts[-1].startswith("x0 * y0") and texts[-1].endswith("x399 * y399")
    assert ELLIPSIS in texts[-1]


def test_expanded_nodes_are_written_from_their_inputs_not_by_id():
    r = evaluate("sigmoid(w * x)", {"w": 2.0, "x": -1.0}, expand=True)
    assert [n["text"] for n in r.nodes if n["kind"] == "op"] == [
        "w * x", "−(w * x)", "exp(−(w * x))", "1 + exp(−(w * x))", "sigmoid(w * x)"]


@pytest.mark.parametrize("text,atomic", [
    ("x", True), ("가중치", True), ("2.5", True), ("1e-05", True), ("f(x)", True),
    ("Σ₀(exp(z))", True), ("(x + y)", True), ("(x) + (y)", False), ("−2", False),
    ("x + y", False), ("f(x) + g(y)", False), ("[a > b]", True)])
def test_what_needs_no_parentheses(text, atomic):
    assert is_atomic(text) == atomic


def test_operands_are_bracketed_only_next_to_an_operator():
    assert render("{0} × {1}", ["x + y", "z"]) == "(x + y) × z"
    assert render("{0} + {1}", ["−2", "−5"]) == "−2 + (−5)"
    assert render("{0} ^ {1}", ["−2", "2"]) == "(−2) ^ 2"
    assert render("max({0}, {1})", ["x + y", "−z"]) == "max(x + y, −z)"
    assert render("−{0}/{1}²", ["1", "−1.5"]) == "−1/(−1.5)²"
    assert render("{y}·(1 − {y})", [], "σ") == "σ·(1 − σ)"


# ---------------------------------------------------------------- the registry's display facts

@pytest.mark.parametrize("op", list(OPS.values()), ids=lambda o: o.name)
def test_every_op_has_every_display_field(op):
    assert op.en and op.ko and op.label and op.syntax
    placeholders = set(re.findall(r"\{(\d)\}", op.written))
    assert placeholders == {str(k) for k in range(op.arity)}, op.written
    assert len(op.derivative) == len(op.latex) == len(op.rule) == op.arity
    for template in op.derivative:
        assert set(re.findall(r"\{(\w)\}", template)) <= {*map(str, range(op.arity)), "y"}
    if op.gate:
        cases = {"distribute": {"same", "negated", "summed"}, "route": {"any", "win", "lose"},
                 "swap": {"other"}}[op.gate]
        assert cases <= set(op.sentences)
        for en, ko in op.sentences.values():
            assert en and ko and "{gate}" not in en + ko
            assert re.search(r"[가-힣]", ko) and not re.search(r"[가-힣]", en)
    else:
        assert not op.sentences


def test_each_scalar_local_derivative_is_its_template_with_numbers():
    """The derivative text with the edge's numbers, read by the engine's own parser, gives
    the engine's local gradient: the text and the number beside it never disagree. (The
    indicator [a > b] is checked by the gate tests instead.)"""
    for expression in ["(x + y) * z", "x - y", "x / y", "x ** z", "z ** x", "-x", "exp(x)",
                       "log(z)", "sqrt(z)", "abs(y)", "sin(x)", "cos(x)", "tanh(x)",
                       "sigmoid(x)", "dot(x, y)", "mse(x, y)", "cross_entropy(u, z)",
                       "sum(x)", "mean(y)", "transpose(x)", "softmax(x)"]:
        r = evaluate(expression, VALUES)
        nodes = {n["id"]: n for n in r.nodes}
        for step in (s for s in r.steps if s["kind"] == "edge"):
            target = nodes[step["target"]]
            op = OPS[target["op"]]
            numbers = [repr(float(nodes[i]["value"])) for i in target["inputs"]]
            text = derivative(op, step["index"], numbers, repr(float(target["value"])))
            readable = re.sub(r"√([\w.]+|\([^()]*\))", r"sqrt(\1)", text)
            readable = re.sub(r"sign\(([^()]*)\)", r"(\1)/abs(\1)", readable) \
                .replace("²", " ** 2").replace("ln|", "log(abs(") \
                .replace("|", "))")
            assert evaluate(readable, {}).value == pytest.approx(step["local"], rel=1e-12), \
                (expression, text)


def test_the_gate_case_follows_the_tutorial():
    add, sub, mx, relu, mul = (OPS[k] for k in ("add", "sub", "max", "relu", "mul"))
    assert gate_case(add, 0, 1.0, False) == "same"
    assert gate_case(sub, 1, -1.0, False) == "negated"
    assert gate_case(add, 1, "G", True) == "summed"
    assert [gate_case(mx, 0, v, False) for v in (1.0, 0.0, 0.5)] == ["win", "lose", "tie"]
    assert gate_case(relu, 0, 0.0, False) == "lose"
    assert gate_case(mul, 0, 3.0, False) == "other"
    assert gate_case(OPS["exp"], 0, 1.0, False) is None
