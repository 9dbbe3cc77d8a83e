"""The example presets (app/examples.py): shape of the data, and every number they teach.

The tutorial's numbers are computed here independently (plain Python arithmetic, math and
numpy references), never by asking the engine what it thinks; the engine's results are
then compared with them, and the numbers quoted in the explanations with both.
"""

import copy
import json
import math
import re
import warnings

import numpy as np
import pytest

from app.engine import evaluate, gradcheck, parse
from app.examples import EXAMPLES, SECTIONS, get_examples, presets

BY_ID = {ex["id"]: ex for ex in EXAMPLES}

REQUIRED_KEYS = {"id", "section", "title", "explanation", "expression", "values"}
OPTIONAL_KEYS = {"output_grad", "expand", "train"}
RESERVED = {"exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "max", "min",
            "pow", "sum", "mean", "transpose", "dot", "softmax", "mse", "cross_entropy",
            "softmax_cross_entropy", "pi", "e"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}\Z")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*\Z")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
MARKUP = re.compile(r"<|>|`|\*\*|__|\]\(|^#|^\s*[-*] |\n|\r")


def run(ex, expand=None):
    """Evaluate a preset with Python warnings turned into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return evaluate(ex["expression"], ex["values"], output_grad=ex.get("output_grad"),
                        expand=ex.get("expand", False) if expand is None else expand)


def fmt(v, nd=2):
    """A number as the explanations write it: rounded, no trailing zeros beyond nd, '-0' -> '0'."""
    s = f"{round(float(v), nd):.{nd}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s


def assert_quoted(ex, *numbers):
    """Every given string (a number as written) appears in both the ko and the en explanation."""
    for lang in ("ko", "en"):
        text = ex["explanation"][lang]
        for n in numbers:
            assert n in text, f"{ex['id']} ({lang}) should quote {n!r}"


def sigma(u):
    return 1.0 / (1.0 + math.exp(-u))


def node_named(r, name):
    found = [n for n in r.nodes if n.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def variable(r, name):
    found = [n for n in r.nodes if n["kind"] == "variable" and n["name"] == name]
    assert len(found) == 1, name
    return found[0]


def contributions_into(r, name):
    """The backward contributions into a variable, in timeline order."""
    vid = variable(r, name)["id"]
    return [s["contribution"] for s in r.steps if s["kind"] == "edge" and s["source"] == vid]


# ---------------------------------------------------------------- structure


def test_there_are_at_least_14_examples_with_unique_slug_ids():
    assert len(EXAMPLES) >= 14
    ids = [ex["id"] for ex in EXAMPLES]
    assert len(ids) == len(set(ids))
    for i in ids:
        assert SLUG.match(i), i


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda ex: ex["id"])
def test_example_has_the_required_keys_and_types(ex):
    assert REQUIRED_KEYS <= set(ex) <= REQUIRED_KEYS | OPTIONAL_KEYS
    assert isinstance(ex["expression"], str) and ex["expression"].strip()
    assert isinstance(ex["values"], dict) and ex["values"]
    for key in ("title", "explanation"):
        assert set(ex[key]) == {"ko", "en"}
        for lang in ("ko", "en"):
            assert isinstance(ex[key][lang], str) and ex[key][lang].strip(), (key, lang)
    if "expand" in ex:
        assert ex["expand"] is True  # omitted when False
    if "output_grad" in ex:
        assert ex["output_grad"] is not None


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda ex: ex["id"])
def test_texts_are_plain_sentences_in_the_right_language(ex):
    for key in ("title", "explanation"):
        ko, en = ex[key]["ko"], ex[key]["en"]
        assert HANGUL.search(ko), f"{key}.ko should be Korean"
        assert not HANGUL.search(en), f"{key}.en should be English"
        for text in (ko, en):
            assert text == text.strip()
            assert not MARKUP.search(text), f"no HTML or markdown: {text!r}"
    for lang in ("ko", "en"):
        assert len(ex["explanation"][lang]) > len(ex["title"][lang])


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda ex: ex["id"])
def test_values_name_exactly_the_free_variables_with_valid_names(ex):
    names = set(ex["values"])
    for name in names:
        assert NAME.match(name) and not name.startswith("__"), name
        assert name not in RESERVED, name
    assert set(parse(ex["expression"]).variables) == names


def test_examples_are_json_data():
    assert json.loads(json.dumps(EXAMPLES, ensure_ascii=False)) == EXAMPLES


def test_no_two_examples_share_a_mutable_value():
    seen = {}

    def walk(obj, owner):
        if isinstance(obj, (list, dict)):
            first = seen.setdefault(id(obj), owner)
            assert first == owner, f"{owner} shares data with {first}"
            for child in (obj.values() if isinstance(obj, dict) else obj):
                walk(child, owner)

    for ex in EXAMPLES:
        walk(ex, ex["id"])


def test_get_examples_returns_a_deep_copy():
    got = get_examples()
    assert got == EXAMPLES and got is not EXAMPLES
    before = copy.deepcopy(EXAMPLES)
    got[0]["values"]["x"] = 123
    got[0]["title"]["ko"] = "changed"
    got[-1]["values"].clear()
    next(ex for ex in got if "train" in ex)["train"]["params"].append("oops")
    next(ex for ex in got if "output_grad" in ex and isinstance(ex["output_grad"], list))[
        "output_grad"][0][0] = 99
    got.pop()
    assert EXAMPLES == before
    assert get_examples() == before


# ---------------------------------------------------------------- sections and order


def test_sections_are_unique_and_each_has_titles():
    ids = [s["id"] for s in SECTIONS]
    assert len(ids) == len(set(ids))
    for s in SECTIONS:
        assert SLUG.match(s["id"])
        assert s["title"]["ko"] and s["title"]["en"]
        assert 1 <= s["tutorial"] <= 9


def test_the_sections_follow_the_tutorials_headings():
    """The menu goes through the tutorial in its order (headings 1–9), and the page still
    opens on the first worked example."""
    assert [s["tutorial"] for s in SECTIONS] == sorted(s["tutorial"] for s in SECTIONS)
    assert {s["tutorial"] for s in SECTIONS} <= set(range(1, 10))
    assert [e["id"] for e in presets() if e.get("default")] == ["chain-rule"]


def test_examples_follow_the_sections_in_order_one_or_more_each():
    order = []
    for ex in EXAMPLES:
        if not order or order[-1] != ex["section"]:
            assert ex["section"] not in order, f"section {ex['section']} is split"
            order.append(ex["section"])
    assert order == [s["id"] for s in SECTIONS]


def test_every_tutorial_topic_has_a_preset():
    # the examples menu, in the tutorial's order.
    wanted = ["numerical-gradient", "mse-regression", "cross-entropy", "l2-regularization",
              "minibatch-mean", "train-linear-regression", "train-logistic-neuron",
              "chain-rule", "add-gate-upstream", "sigmoid-neuron", "sigmoid-neuron-expanded",
              "staged-forks", "forward-cache", "max-gate", "multiply-gate", "gate-patterns",
              "input-scaling", "matmul-gradients"]
    ids = [ex["id"] for ex in EXAMPLES]
    assert [i for i in ids if i in wanted] == wanted
    assert sum("train" in ex for ex in EXAMPLES) >= 2
    assert BY_ID["sigmoid-neuron-expanded"].get("expand") is True


# ---------------------------------------------------------------- every preset runs cleanly


@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda ex: ex["id"])
def test_example_evaluates_without_warnings(ex, expand):
    r = run(ex, expand=expand)
    assert r.warnings == []
    assert np.all(np.isfinite(r.value))
    for name, g in r.gradients.items():
        assert np.all(np.isfinite(g)), name
        assert np.shape(g) == np.shape(np.asarray(ex["values"][name], dtype=float)), name
    if "output_grad" in ex:
        assert np.shape(np.asarray(ex["output_grad"], dtype=float)) == np.shape(r.value)
    by_id = {n["id"]: n for n in r.nodes}
    for n in r.nodes:
        assert np.all(np.isfinite(n["value"])), n
        if np.all(np.isfinite(n["grad"])):
            continue
        # The only non-finite number allowed: the engine's gradient of a constant exponent
        # over a negative base (d a^b / db = a^b ln a), e.g. the 2 in xpy**2 with xpy = -1,
        # or in an expanded mse. Constants are not warned about; nothing else may be.
        assert n["kind"] == "constant", n
        users = [m for m in r.nodes if n["id"] in m["inputs"]]
        assert all(m["op"] == "pow" and m["inputs"][1] == n["id"] for m in users), n
        assert all(np.any(np.asarray(by_id[m["inputs"][0]]["value"]) < 0) for m in users), n


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda ex: ex["id"])
def test_expanding_changes_no_value_and_no_gradient(ex):
    a, b = run(ex, expand=False), run(ex, expand=True)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-12, atol=1e-12)
    assert set(a.gradients) == set(b.gradients)
    for name in a.gradients:
        np.testing.assert_allclose(a.gradients[name], b.gradients[name], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- tutorial numbers


def test_chain_rule_numbers():
    ex = BY_ID["chain-rule"]
    x, y, z = ex["values"]["x"], ex["values"]["y"], ex["values"]["z"]
    assert (x, y, z) == (-2, 5, -4)
    q = x + y
    f = q * z
    r = run(ex)
    assert r.value == f == -12
    assert r.gradients == {"x": z, "y": z, "z": q} == {"x": -4, "y": -4, "z": 3}
    assert node_named(r, "q")["value"] == 3 and node_named(r, "q")["grad"] == z
    assert node_named(r, "f")["value"] == -12 and r.output == node_named(r, "f")["id"]
    assert_quoted(ex, "q = 3", "-12", "-4", "= 3")


def test_add_gate_with_upstream_minus_4():
    ex = BY_ID["add-gate-upstream"]
    assert ex["values"] == {"x": -2, "y": 5} and ex["output_grad"] == -4
    r = run(ex)
    assert r.value == -2 + 5 == 3
    assert r.gradients == {"x": -4 * 1, "y": -4 * 1}
    assert_quoted(ex, "-2", "5", "3", "-4")


def test_max_gate_routes_the_upstream_to_the_larger_input():
    ex = BY_ID["max-gate"]
    z, w, up = ex["values"]["z"], ex["values"]["w"], ex["output_grad"]
    assert z != w and up not in (0, 1)
    r = run(ex)
    assert r.value == max(z, w)
    assert r.gradients == {"z": up if z > w else 0, "w": up if w > z else 0}
    assert_quoted(ex, f"z = {z}", f"w = {w}", f"{up}")


def test_multiply_gate_swaps_and_the_small_input_gets_the_big_gradient():
    ex = BY_ID["multiply-gate"]
    x, y, up = ex["values"]["x"], ex["values"]["y"], ex["output_grad"]
    assert (x, y, up) == (3, -4, 2)
    r = run(ex)
    assert r.gradients == {"x": up * y, "y": up * x} == {"x": -8, "y": 6}
    assert abs(x) < abs(y) and abs(r.gradients["x"]) > abs(r.gradients["y"])
    assert_quoted(ex, "-8", "6", "2 × (-4)", "2 × 3")


def test_combined_gate_patterns_cs231n_numbers():
    ex = BY_ID["gate-patterns"]
    x, y, z, w = (ex["values"][k] for k in "xyzw")
    assert (x, y, z, w) == (3, -4, 2, -1)
    f = 2 * (x * y + max(z, w))
    # d/d(x*y + max) = 2; add distributes; multiply swaps; max routes
    expected = {"x": 2 * y, "y": 2 * x, "z": 2 if z > w else 0, "w": 2 if w > z else 0}
    r = run(ex)
    assert r.value == f == -20
    assert r.gradients == expected == {"x": -8, "y": 6, "z": 2, "w": 0}
    assert_quoted(ex, "-12", "-10", "-20", "-8", "6")


def test_sigmoid_neuron_numbers():
    ex = BY_ID["sigmoid-neuron"]
    v = ex["values"]
    assert (v["w0"], v["w1"], v["w2"], v["x0"], v["x1"]) == (2, -3, -3, -1, -2)
    u = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    s = sigma(u)
    ds = s * (1 - s)  # σ'(u) = σ(u)(1 − σ(u))
    expected = {"x0": v["w0"] * ds, "x1": v["w1"] * ds,
                "w0": v["x0"] * ds, "w1": v["x1"] * ds, "w2": ds}
    r = run(ex)
    assert u == 1
    assert r.value == pytest.approx(s, rel=1e-12)
    for name, g in expected.items():
        assert r.gradients[name] == pytest.approx(g, rel=1e-12), name
    assert fmt(s) == "0.73"
    assert [fmt(expected[k]) for k in ("x0", "x1")] == ["0.39", "-0.59"]
    assert [fmt(expected[k]) for k in ("w0", "w1", "w2")] == ["-0.20", "-0.39", "0.20"]
    assert_quoted(ex, "0.73", "0.27", "0.20", "(0.39, -0.59)", "(-0.20, -0.39, 0.20)")


def test_expanded_sigmoid_neuron_same_gradients_more_nodes():
    atomic, expanded = BY_ID["sigmoid-neuron"], BY_ID["sigmoid-neuron-expanded"]
    assert atomic["expression"] == expanded["expression"]
    assert atomic["values"] == expanded["values"]
    a, b = run(atomic), run(expanded)
    assert len(a.nodes) == 10 and len(b.nodes) == 15
    assert b.value == pytest.approx(a.value, rel=1e-12)
    for name in a.gradients:
        assert b.gradients[name] == pytest.approx(a.gradients[name], rel=1e-12)
    # gate by gate: -u, exp, 1 + ·, 1 / · ; backward -1/d², ×1, ×exp(-u), ×(-1)
    u = 1.0
    d = 1 + math.exp(-u)
    g_div = -1 / d**2
    g_exp = g_div * 1
    g_neg = g_exp * math.exp(-u)
    g_u = g_neg * -1
    assert g_u == pytest.approx(sigma(u) * (1 - sigma(u)), rel=1e-12)
    locals_ = [s["local"] for s in b.steps if s["kind"] == "edge"]
    for want in (g_div, math.exp(-u), -1.0):
        assert any(loc == pytest.approx(want, rel=1e-12) for loc in locals_), want
    assert [fmt(x) for x in (math.exp(-u), d, 1 / d, g_div, g_neg, g_u)] == \
        ["0.37", "1.37", "0.73", "-0.53", "-0.20", "0.20"]
    assert_quoted(expanded, "10", "15", "exp(-1) = 0.37", "1.37", "-0.53", "-0.20", "0.20")


def test_staged_computation_cs231n_numbers_and_forks():
    ex = BY_ID["staged-forks"]
    x, y = ex["values"]["x"], ex["values"]["y"]
    assert (x, y) == (3, -4)
    # CS231n's forward pass, stage by stage
    sigy = sigma(y)
    num = x + sigy
    sigx = sigma(x)
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    # and its backward pass, with += at the forks
    dnum = invden
    dinvden = num
    dden = (-1.0 / den**2) * dinvden
    dsigx = dden
    dxpysqr = dden
    dxpy = 2 * xpy * dxpysqr
    dx_from_xpy = dxpy
    dy_from_xpy = dxpy
    dx_from_sigx = (1 - sigx) * sigx * dsigx
    dx_from_num = dnum
    dsigy = dnum
    dy_from_sigy = (1 - sigy) * sigy * dsigy
    dx = dx_from_xpy + dx_from_sigx + dx_from_num
    dy = dy_from_xpy + dy_from_sigy

    r = run(ex)
    assert r.value == pytest.approx(f, rel=1e-12)
    assert r.gradients["x"] == pytest.approx(dx, rel=1e-12)
    assert r.gradients["y"] == pytest.approx(dy, rel=1e-12)
    for name, value in [("sigy", sigy), ("num", num), ("sigx", sigx), ("xpy", xpy),
                        ("xpysqr", xpysqr), ("den", den), ("invden", invden), ("f", f)]:
        assert node_named(r, name)["value"] == pytest.approx(value, rel=1e-12), name
    # x is a fork of three uses, y of two; their contributions add up to the gradient
    cx, cy = contributions_into(r, "x"), contributions_into(r, "y")
    assert len(cx) == 3 and len(cy) == 2
    assert sorted(cx) == pytest.approx(sorted([dx_from_xpy, dx_from_sigx, dx_from_num]), rel=1e-12)
    assert sorted(cy) == pytest.approx(sorted([dy_from_xpy, dy_from_sigy]), rel=1e-12)
    assert cx == pytest.approx([dx_from_xpy, dx_from_sigx, dx_from_num], rel=1e-12)  # as told
    assert sum(cx) == pytest.approx(dx, rel=1e-12)
    assert_quoted(ex, fmt(f), fmt(dx), fmt(dy, 3),
                  fmt(dx_from_xpy, 3), fmt(dx_from_sigx, 3), fmt(dx_from_num, 3),
                  fmt(dy_from_sigy, 3))


def test_forward_cache_numbers():
    ex = BY_ID["forward-cache"]
    x, w1, w2 = ex["values"]["x"], ex["values"]["w1"], ex["values"]["w2"]
    h = math.tanh(w1 * x)
    f = w2 * h
    dh = w2
    local_tanh = 1 - h * h
    r = run(ex)
    assert r.value == pytest.approx(f, rel=1e-12)
    assert r.gradients["w2"] == pytest.approx(h, rel=1e-12)
    assert r.gradients["w1"] == pytest.approx(dh * local_tanh * x, rel=1e-12)
    assert r.gradients["x"] == pytest.approx(dh * local_tanh * w1, rel=1e-12)
    assert node_named(r, "h")["value"] == pytest.approx(h, rel=1e-12)
    assert any(s["kind"] == "edge" and s["local"] == pytest.approx(local_tanh, rel=1e-12)
               for s in r.steps)
    assert_quoted(ex, fmt(w1 * x, 1), fmt(h, 3), fmt(f), fmt(local_tanh, 3),
                  fmt(dh * local_tanh * x), fmt(dh * local_tanh * w1))


def test_input_scaling_shows_the_neuron_at_x1_beside_x1000():
    """The tutorial's neuron unchanged (s1) beside the same weights with x1 scaled by 1000
    (s1000): the multiply gate's local gradient for v1 is 1000 times w1's, and the ×1000
    neuron saturates so that no gradient reaches its weights."""
    ex = BY_ID["input-scaling"]
    v = ex["values"]
    base = BY_ID["sigmoid-neuron"]["values"]
    assert {k: v[k] for k in base} == base  # the tutorial's neuron, as it is
    assert {v["v0"], v["v1"], v["v2"]} == {base["w0"], base["w1"], base["w2"]}
    r = run(ex)
    neuron = evaluate(BY_ID["sigmoid-neuron"]["expression"], base)
    for w in ("w0", "w1", "w2"):  # the add gate at the output passes 1: s1's own gradients
        assert r.gradients[w] == pytest.approx(neuron.gradients[w], rel=1e-15)
    assert r.gradients["w1"] == pytest.approx(sigma(1) * (1 - sigma(1)) * -2, rel=1e-15)
    # the local gradient of v1 at its multiply gate: x1000 = 1000 × x1
    nodes = {n["id"]: n for n in r.nodes}
    v1 = node_named(r, "v1")
    edge = next(s for s in r.steps if s["kind"] == "edge" and s["source"] == v1["id"])
    assert edge["local"] == 1000 * base["x1"] == -2000
    assert nodes[edge["target"]]["value"] == v["v1"] * 1000 * base["x1"]  # 6000 of the 5995
    assert r.gradients["v0"] == r.gradients["v1"] == r.gradients["v2"] == 0  # saturated
    assert sigma(5995) == 1.0
    assert_quoted(ex, "-2000", "-2", "1000", "5995", "0.1966", "-0.3932")


def test_matmul_gradients_are_G_Xt_and_Wt_G():
    ex = BY_ID["matmul-gradients"]
    W = np.array(ex["values"]["W"], dtype=float)
    X = np.array(ex["values"]["X"], dtype=float)
    G = np.array(ex["output_grad"], dtype=float)
    assert W.shape == (2, 3) and X.shape == (3, 4) and G.shape == (2, 4)
    r = run(ex)
    np.testing.assert_array_equal(r.value, W @ X)
    np.testing.assert_array_equal(r.gradients["W"], G @ X.T)
    np.testing.assert_array_equal(r.gradients["X"], W.T @ G)
    assert r.gradients["W"].shape == W.shape and r.gradients["X"].shape == X.shape
    rules = sorted(s["local"] for s in r.steps if s["kind"] == "edge")
    assert rules == ["G·Xᵀ", "Wᵀ·G"]
    first = sum(G[0, k] * X[0, k] for k in range(4))
    assert first == (G @ X.T)[0, 0] == -1
    dW = "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]"
                         for row in G @ X.T) + "]"
    assert_quoted(ex, dW, "2×3", "3×4", "2×4", "(2×4)(4×3)", "(3×2)(2×4)")


def test_mse_regression_gradient_is_2_residual_over_N():
    ex = BY_ID["mse-regression"]
    W, X, Y = (np.array(ex["values"][k], dtype=float) for k in ("W", "X", "Y"))
    b = float(ex["values"]["b"])
    yhat = W @ X + b
    res = yhat - Y
    N = Y.size
    L = np.mean(res**2)
    g = 2 * res / N
    r = run(ex)
    assert r.value == pytest.approx(L, rel=1e-12)
    np.testing.assert_allclose(node_named(r, "Yhat")["grad"], g, rtol=1e-12)
    np.testing.assert_allclose(r.gradients["W"], g @ X.T, rtol=1e-12)
    assert r.gradients["b"] == pytest.approx(g.sum(), rel=1e-12)
    vec = lambda a: "[" + ", ".join(f"{round(float(v), 2):g}" for v in np.ravel(a)) + "]"
    assert_quoted(ex, vec(yhat), vec(res), vec(g), vec(g @ X.T), fmt(L), fmt(g.sum(), 1),
                  f"N = {N}")


def test_cross_entropy_gradient_is_softmax_minus_y_over_N():
    ex = BY_ID["cross-entropy"]
    W, X, b, Y = (np.array(ex["values"][k], dtype=float) for k in ("W", "X", "b", "Y"))
    assert np.all(Y.sum(axis=0) == 1) and set(np.unique(Y)) == {0.0, 1.0}  # one-hot columns
    Z = W @ X + b
    P = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
    N = Z.shape[1]
    L = -np.sum(Y * np.log(P)) / N
    dZ = (P - Y) / N
    for ex_ in (ex, {**ex, "expression": "Z = W @ X + b\nL = cross_entropy(softmax(Z), Y)"}):
        for expand in (False, True):
            r = run(ex_, expand=expand)
            assert r.value == pytest.approx(L, rel=1e-12)
            np.testing.assert_allclose(node_named(r, "Z")["grad"], dZ, rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(r.gradients["W"], dZ @ X.T, rtol=1e-9)
            np.testing.assert_allclose(r.gradients["b"], dZ.sum(axis=1, keepdims=True), rtol=1e-9)
    p_true = [P[np.argmax(Y[:, j]), j] for j in range(N)]  # the true class's probability
    worst = int(np.argmin(p_true))
    assert worst == 2 and np.argmax(P[:, worst]) != np.argmax(Y[:, worst])  # mispredicted
    assert np.abs(dZ[:, worst]).max() == np.abs(dZ).max()
    col = "[" + ", ".join(fmt(v) for v in dZ[:, worst]) + "]"
    assert_quoted(ex, *(fmt(p, 3) for p in p_true), fmt(L), col, f"N = {N}")
    assert L == pytest.approx(-sum(math.log(round(p, 3)) for p in p_true) / N, abs=0.005)


def test_l2_regularisation_adds_2_lambda_W():
    ex = BY_ID["l2-regularization"]
    W, X, Y = (np.array(ex["values"][k], dtype=float) for k in ("W", "X", "Y"))
    lam = ex["values"]["lam"]
    res = W @ X - Y
    data_loss = np.mean(res**2)
    grad_data = (2 * res / res.size) @ X.T
    reg = lam * np.sum(W * W)
    r = run(ex)
    assert r.value == pytest.approx(data_loss + reg, rel=1e-12)
    np.testing.assert_allclose(r.gradients["W"], grad_data + 2 * lam * W, rtol=1e-12)
    # W is a fork: one contribution from the data loss, λW from each side of W * W
    contribs = contributions_into(r, "W")
    assert len(contribs) == 3
    np.testing.assert_allclose(sum(contribs), grad_data + 2 * lam * W, rtol=1e-12)
    assert any(np.allclose(c, grad_data) for c in contribs)
    assert sum(np.allclose(c, lam * W) for c in contribs) == 2
    vec = lambda a: "[" + ", ".join(fmt(v, 1) for v in np.ravel(a)) + "]"
    assert_quoted(ex, fmt(data_loss), fmt(reg, 1), fmt(data_loss + reg), vec(grad_data),
                  vec(lam * W), vec(grad_data + 2 * lam * W), f"= {lam}")


def test_minibatch_gradient_is_the_mean_of_per_example_gradients():
    ex = BY_ID["minibatch-mean"]
    w, b = ex["values"]["w"], ex["values"]["b"]
    X, Y = np.array(ex["values"]["X"], dtype=float), np.array(ex["values"]["Y"], dtype=float)
    B = X.shape[1]
    per_w, per_b, per_loss = [], [], []
    for j in range(B):  # one example at a time, by hand
        err = w * X[0, j] + b - Y[0, j]
        per_loss.append(err * err)
        per_w.append(2 * err * X[0, j])
        per_b.append(2 * err)
    r = run(ex)
    assert r.value == pytest.approx(sum(per_loss) / B, rel=1e-12)
    assert r.gradients["w"] == pytest.approx(sum(per_w) / B, rel=1e-12)
    assert r.gradients["b"] == pytest.approx(sum(per_b) / B, rel=1e-12)
    # and the engine agrees one example at a time too
    for j in range(B):
        one = evaluate(ex["expression"], {**ex["values"], "X": X[:, j:j + 1], "Y": Y[:, j:j + 1]})
        assert one.gradients["w"] == pytest.approx(per_w[j], rel=1e-12)
    vec = lambda a: "[" + ", ".join(f"{v:g}" for v in a) + "]"
    assert_quoted(ex, vec(per_loss), f"{sum(per_loss) / B:g}", vec(per_w), vec(per_b),
                  f"{sum(per_w) / B:g}", f"{sum(per_b) / B:g}")


def test_numerical_gradient_example_matches_backprop_and_counts_evaluations():
    ex = BY_ID["numerical-gradient"]
    x, y, z = (ex["values"][k] for k in "xyz")
    f = x * y * z + math.sin(x) * math.exp(y) - math.log(z)
    grads = {"x": y * z + math.cos(x) * math.exp(y), "y": x * z + math.sin(x) * math.exp(y),
             "z": x * y - 1 / z}
    r = run(ex)
    assert r.value == pytest.approx(f, rel=1e-12)
    for k, g in grads.items():
        assert r.gradients[k] == pytest.approx(g, rel=1e-12)
        assert abs(g) > 0.1  # every relative error is meaningful
    gc = gradcheck(ex["expression"], ex["values"])
    assert gc["max_rel_error"] < 1e-8
    assert gc["forward_evals"] == 2 * len(ex["values"]) == 6
    assert gc["backward_passes"] == 1
    assert_quoted(ex, fmt(f), *(fmt(g) for g in grads.values()), "1e-8", "6")


# ---------------------------------------------------------------- training problems

TRAINED = [ex for ex in EXAMPLES if "train" in ex]


def columns(v):
    return np.asarray(v, dtype=float).shape[-1]


@pytest.mark.parametrize("ex", TRAINED, ids=lambda ex: ex["id"])
def test_train_dict_references_existing_names(ex):
    t = ex["train"]
    assert set(t) <= {"params", "optimizer", "steps", "l2", "batch"}
    assert {"params", "optimizer", "steps"} <= set(t)
    variables = set(parse(ex["expression"]).variables)
    assert t["params"] and len(set(t["params"])) == len(t["params"])
    assert set(t["params"]) <= variables and set(t["params"]) <= set(ex["values"])
    assert t["optimizer"]["name"] in {"sgd", "momentum", "adam"}
    assert set(t["optimizer"]) <= {"name", "lr", "momentum", "beta1", "beta2", "eps"}
    assert isinstance(t["optimizer"]["lr"], float) and t["optimizer"]["lr"] > 0
    assert isinstance(t["steps"], int) and 1 <= t["steps"] <= 1000
    if "l2" in t:
        assert isinstance(t["l2"], float) and t["l2"] >= 0
    if "batch" in t:
        data = t["batch"]["data"]
        assert set(t["batch"]) == {"size", "data"}
        assert data and set(data) <= variables and not set(data) & set(t["params"])
        n = {columns(ex["values"][d]) for d in data}
        assert len(n) == 1, "every data variable has the same number of columns"
        B = t["batch"]["size"]
        assert isinstance(B, int) and 1 <= B < n.pop()
    assert np.ndim(run(ex).value) == 0  # the loss is a scalar


def train(ex, lr=None, optimizer=None, batch=None, steps=None):
    """The update rules of app/engine/optim.py, exactly, with the engine's gradients.

    Returns (history of losses before each update, final params, loss on all the data)."""
    t = ex["train"]
    opt = dict(t["optimizer"], **({"name": optimizer} if optimizer else {}),
               **({"lr": lr} if lr else {}))
    batch = t.get("batch") if batch is None else (batch or None)
    steps = steps or t["steps"]
    l2 = t.get("l2", 0.0)
    values = {k: np.array(v, dtype=float) for k, v in ex["values"].items()}
    state = {p: [np.zeros_like(values[p]), np.zeros_like(values[p])] for p in t["params"]}
    history = []
    for i in range(steps):
        feed = dict(values)
        if batch:
            B = batch["size"]
            n = columns(values[batch["data"][0]])
            start = (i * B) % n
            for d in batch["data"]:
                feed[d] = values[d][..., start:start + B]
        with np.errstate(all="raise"):
            r = evaluate(ex["expression"], feed)
        history.append(r.value + l2 * sum(float(np.sum(values[p] ** 2)) for p in t["params"]))
        for p in t["params"]:
            g = np.asarray(r.gradients[p]) + 2 * l2 * values[p]
            m, v = state[p]
            if opt["name"] == "sgd":
                values[p] = values[p] - opt["lr"] * g
            elif opt["name"] == "momentum":
                m = opt.get("momentum", 0.9) * m + g
                values[p] = values[p] - opt["lr"] * m
            else:
                b1, b2, eps = opt.get("beta1", 0.9), opt.get("beta2", 0.999), opt.get("eps", 1e-8)
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                mhat, vhat = m / (1 - b1 ** (i + 1)), v / (1 - b2 ** (i + 1))
                values[p] = values[p] - opt["lr"] * mhat / (np.sqrt(vhat) + eps)
            state[p] = [m, v]
    params = {p: values[p] for p in t["params"]}
    return history, params, evaluate(ex["expression"], values).value


@pytest.mark.parametrize("ex", TRAINED, ids=lambda ex: ex["id"])
def test_training_converges_with_the_preset_settings(ex):
    history, params, final = train(ex)
    assert len(history) == ex["train"]["steps"]
    assert all(np.isfinite(history))
    assert final < 0.3 * run(ex).value
    for p in params.values():
        assert np.all(np.isfinite(p))


def least_squares(ex):
    X, Y = np.ravel(ex["values"]["X"]), np.ravel(ex["values"]["Y"])
    w, b = np.polyfit(X, Y, 1)
    return w, b, np.mean((w * X + b - Y) ** 2)


def test_linear_regression_training_numbers():
    ex = BY_ID["train-linear-regression"]
    assert ex["train"]["optimizer"] == {"name": "sgd", "lr": 0.1} and "batch" not in ex["train"]
    X, Y = np.ravel(ex["values"]["X"]), np.ravel(ex["values"]["Y"])
    assert len(X) == 12 and np.max(np.abs(Y - (2 * X + 1))) <= 0.2 + 1e-9  # y = 2x + 1 + noise
    start = np.mean(Y**2)  # w = b = 0
    assert run(ex).value == pytest.approx(start, rel=1e-12)
    w_opt, b_opt, loss_opt = least_squares(ex)
    history, params, final = train(ex)
    assert history[0] == pytest.approx(start, rel=1e-12)
    assert final == pytest.approx(loss_opt, rel=1e-6)
    assert params["w"] == pytest.approx(w_opt, abs=1e-3)
    assert params["b"] == pytest.approx(b_opt, abs=1e-3)
    _, _, slow = train(ex, lr=0.01)
    _, _, diverged = train(ex, lr=1.1)
    assert fmt(slow) == "0.12" and diverged > 1e6
    assert_quoted(ex, fmt(start), fmt(final, 3), fmt(params["w"]), fmt(params["b"]), "0.1",
                  "100", "0.01", "0.12", "1.1")


def test_logistic_neuron_training_numbers():
    ex = BY_ID["train-logistic-neuron"]
    assert ex["train"]["optimizer"] == {"name": "momentum", "lr": 0.1}
    X, Y = np.array(ex["values"]["X"], dtype=float), np.ravel(ex["values"]["Y"])
    assert X.shape == (2, 12) and set(Y) == {0.0, 1.0} and Y.sum() == 6
    assert run(ex).value == pytest.approx(math.log(2), rel=1e-12)
    history, params, final = train(ex)
    p = 1 / (1 + np.exp(-(params["W"] @ X + params["b"])))
    correct = (np.ravel(p) > 0.5) == (Y == 1)
    assert correct.sum() == 11
    assert X[:, ~correct].ravel().tolist() == [0.6, 0.2] and Y[~correct] == 0
    assert fmt(final) == "0.17"
    assert_quoted(ex, "0.69", "0.17", "11", "(0.6, 0.2)", "0.1", "100", "0.9")


def test_minibatch_adam_training_numbers():
    ex = BY_ID["train-minibatch-adam"]
    t = ex["train"]
    assert t["optimizer"] == {"name": "adam", "lr": 0.1} and t["batch"]["size"] == 4
    assert columns(ex["values"]["X"]) % t["batch"]["size"] == 0
    history, params, final = train(ex)
    Y = np.ravel(ex["values"]["Y"])
    assert history[0] == pytest.approx(np.mean(Y[:4] ** 2), rel=1e-12)
    _, _, loss_opt = least_squares(ex)
    assert final == pytest.approx(loss_opt, rel=0.05)
    assert round(float(params["w"])) == 2 and round(float(params["b"])) == 1
    assert max(np.diff(history)) > 0  # jagged: some batch losses go up
    assert_quoted(ex, fmt(history[0]), fmt(final, 3), "4", "0.1", "100", "12")


def test_served_presets_carry_their_sections_title_in_order():
    from app.examples import presets

    served = presets()
    titles = {section["id"]: section["title"] for section in SECTIONS}
    assert [ex["id"] for ex in served] == [ex["id"] for ex in EXAMPLES]
    for ex in served:
        assert ex["section_title"] == titles[ex["section"]]
        assert isinstance(ex["tutorial"], int)
    served[0]["section_title"]["en"] = "changed"
    assert SECTIONS[0]["title"]["en"] != "changed"
