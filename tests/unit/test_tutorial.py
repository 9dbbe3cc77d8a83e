"""Every number in the tutorial (backprop-tutorial.ko.md, after CS231n), as golden values."""

import math

import numpy as np
import pytest

from app.engine import evaluate
from testkit import (
    assert_close,
    assert_shapes_consistent,
    central_difference,
    check_trace,
    named_node,
    op_nodes,
    variable_node,
)

X, Y, Z = -2.0, 5.0, -4.0
CHAIN = {"x": X, "y": Y, "z": Z}


def sigma(u):
    return 1.0 / (1.0 + math.exp(-u))


# ---------------------------------------------------------------- §4 chain rule


def test_chain_rule_example_gives_minus_12_and_gradients_minus_4_minus_4_3():
    r = evaluate("(x+y)*z", CHAIN)
    assert r.value == -12.0
    assert r.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}
    for name in "xyz":
        assert isinstance(r.gradients[name], float)
    assert isinstance(r.value, float)


def test_chain_rule_example_nodes_carry_forward_values_and_gradients():
    r = evaluate("(x+y)*z", CHAIN)
    assert variable_node(r, "x")["value"] == -2.0 and variable_node(r, "x")["grad"] == -4.0
    assert variable_node(r, "y")["value"] == 5.0 and variable_node(r, "y")["grad"] == -4.0
    assert variable_node(r, "z")["value"] == -4.0 and variable_node(r, "z")["grad"] == 3.0
    ops = op_nodes(r)
    assert len(ops) == 2
    add, mul = ops  # topological: q = x+y comes before f = q*z
    assert add["value"] == 3.0 and add["grad"] == -4.0
    assert mul["value"] == -12.0 and mul["grad"] == 1.0
    assert r.output == mul["id"]
    assert len(r.nodes) == 5 and len(r.edges) == 4


def test_staged_chain_rule_names_q_and_f_on_their_nodes():
    r = evaluate("q = x + y\nf = q * z", CHAIN)
    q, f = named_node(r, "q"), named_node(r, "f")
    assert q["kind"] == "op" and q["value"] == 3.0 and q["grad"] == -4.0  # df/dq = z
    assert f["value"] == -12.0 and f["grad"] == 1.0
    assert r.output == f["id"]
    assert r.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}  # df/dz = q


def test_chain_rule_steps_show_upstream_times_local_on_every_edge():
    r = evaluate("q = x + y; f = q * z", CHAIN)
    check_trace(r)
    edge_events = [s for s in r.steps if s["kind"] == "edge"]
    nodes = {n["id"]: n for n in r.nodes}
    got = {(nodes[s["source"]].get("name"), s["index"]): (s["upstream"], s["local"], s["contribution"]) for s in edge_events}
    assert got[("q", 0)] == (1.0, -4.0, -4.0)  # multiply swaps: local of q is z
    assert got[("z", 1)] == (1.0, 3.0, 3.0)  # local of z is q
    assert got[("x", 0)] == (-4.0, 1.0, -4.0)  # add distributes
    assert got[("y", 1)] == (-4.0, 1.0, -4.0)


# ---------------------------------------------------------------- §5 add gate with upstream -4


def test_add_gate_with_upstream_minus_4_gives_both_inputs_minus_4():
    r = evaluate("x+y", {"x": -2, "y": 5}, output_grad=-4)
    assert r.value == 3.0
    assert r.gradients == {"x": -4.0, "y": -4.0}
    check_trace(r, seed=-4.0)
    events = [s for s in r.steps if s["kind"] == "edge"]
    assert [(s["upstream"], s["local"], s["contribution"]) for s in events] == [(-4.0, 1.0, -4.0)] * 2
    seed = [s for s in r.steps if s["kind"] == "seed"]
    assert len(seed) == 1 and seed[0]["grad"] == -4.0


# ---------------------------------------------------------------- §6 sigmoid neuron

NEURON = "sigmoid(w0*x0 + w1*x1 + w2)"
NEURON_VALUES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
# u = 2*(-1) + (-3)*(-2) - 3 = 1; sigma(1) = 0.7310585786; sigma'(1) = sigma(1)(1 - sigma(1))
S1 = sigma(1.0)
DS1 = S1 * (1 - S1)
NEURON_GRADS = {"w0": -DS1, "x0": 2 * DS1, "w1": -2 * DS1, "x1": -3 * DS1, "w2": DS1}


@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
def test_sigmoid_neuron_value_073_and_gradients_from_sigma_prime(expand):
    r = evaluate(NEURON, NEURON_VALUES, expand=expand)
    assert r.value == pytest.approx(0.7310585786, abs=1e-10)
    assert r.value == pytest.approx(S1, rel=1e-14)
    for name, g in NEURON_GRADS.items():
        assert r.gradients[name] == pytest.approx(g, rel=1e-12), name
    # the tutorial's rounded numbers: dx = (0.39, -0.59), dw = (-0.20, -0.39, 0.20)
    assert round(r.gradients["x0"], 2) == 0.39 and round(r.gradients["x1"], 2) == -0.59
    assert [round(r.gradients[w], 2) for w in ("w0", "w1", "w2")] == [-0.20, -0.39, 0.20]
    check_trace(r)


def test_sigmoid_neuron_expanded_has_more_nodes_and_marks_them_as_a_sigmoid_block():
    atomic = evaluate(NEURON, NEURON_VALUES)
    expanded = evaluate(NEURON, NEURON_VALUES, expand=True)
    assert len(expanded.nodes) > len(atomic.nodes)
    assert [n["op"] for n in op_nodes(atomic)].count("sigmoid") == 1
    assert "sigmoid" not in [n["op"] for n in op_nodes(expanded)]
    blocks = [n["block"] for n in expanded.nodes if n.get("block")]
    assert len(blocks) >= 2 and all(b["op"] == "sigmoid" for b in blocks)
    assert len({b["id"] for b in blocks}) == 1
    # the output of the block is the output of the graph, with the same value
    out = {n["id"]: n for n in expanded.nodes}[expanded.output]
    assert out["value"] == pytest.approx(S1, rel=1e-14)


def test_sigmoid_local_gradient_on_its_edge_is_sigma_times_one_minus_sigma():
    r = evaluate(NEURON, NEURON_VALUES)
    sig = [n for n in op_nodes(r) if n["op"] == "sigmoid"][0]
    ev = [s for s in r.steps if s["kind"] == "edge" and s["target"] == sig["id"]]
    assert len(ev) == 1
    assert ev[0]["local"] == pytest.approx(DS1, rel=1e-12)
    assert ev[0]["upstream"] == 1.0


@pytest.mark.parametrize("expr", ["sigmoid(dot(w, x) + b)", "sigmoid(w @ x + b)"])
@pytest.mark.parametrize("expand", [False, True], ids=["atomic", "expanded"])
def test_vector_sigmoid_neuron_matches_the_scalar_one(expr, expand):
    values = {"w": np.array([2.0, -3.0]), "x": np.array([-1.0, -2.0]), "b": -3.0}
    r = evaluate(expr, values, expand=expand)
    assert r.value == pytest.approx(S1, rel=1e-14)
    assert isinstance(r.value, float)
    assert_close(r.gradients["w"], [NEURON_GRADS["w0"], NEURON_GRADS["w1"]], rtol=1e-12, atol=0)
    assert_close(r.gradients["x"], [NEURON_GRADS["x0"], NEURON_GRADS["x1"]], rtol=1e-12, atol=0)
    assert r.gradients["b"] == pytest.approx(NEURON_GRADS["w2"], rel=1e-12)
    assert_shapes_consistent(r, values)
    check_trace(r)


# ---------------------------------------------------------------- §8 gate patterns


def test_max_gate_routes_the_gradient_to_the_larger_input_only():
    r = evaluate("max(x, y)", {"x": 4.0, "y": 2.0}, output_grad=2.0)
    assert r.value == 4.0
    assert r.gradients == {"x": 2.0, "y": 0.0}
    r = evaluate("max(x, y)", {"x": -1.0, "y": 3.0}, output_grad=2.0)
    assert r.gradients == {"x": 0.0, "y": 2.0}


def test_max_gate_routes_elementwise_for_tensors():
    values = {"a": np.array([1.0, 5.0, -2.0]), "b": np.array([3.0, 0.0, -1.0])}
    g = np.array([0.5, -2.0, 4.0])
    r = evaluate("max(a, b)", values, output_grad=g)
    assert_close(r.value, [3.0, 5.0, -1.0], rtol=0, atol=0)
    assert_close(r.gradients["a"], [0.0, -2.0, 0.0], rtol=0, atol=0)
    assert_close(r.gradients["b"], [0.5, 0.0, 4.0], rtol=0, atol=0)


def test_multiply_gate_swaps_the_inputs():
    r = evaluate("x*y", {"x": 3.0, "y": -4.0}, output_grad=2.0)
    assert r.value == -12.0
    assert r.gradients == {"x": -8.0, "y": 6.0}  # dx = g*y, dy = g*x


def test_multiply_gate_gives_the_small_input_the_large_gradient():
    r = evaluate("x*y", {"x": 0.001, "y": 1000.0})
    assert r.gradients["x"] == 1000.0 and r.gradients["y"] == 0.001


# ---------------------------------------------------------------- §7 forks accumulate


def test_gradients_add_up_at_a_fork():
    # f = q + q*x with q = x*y: df/dx = y + 2xy, df/dy = x + x^2, df/dq = 1 + x
    x, y = 3.0, -2.0
    r = evaluate("q = x*y; q + q*x", {"x": x, "y": y})
    assert r.value == x * y + x * y * x
    assert r.gradients["x"] == pytest.approx(y + 2 * x * y, rel=1e-15)
    assert r.gradients["y"] == pytest.approx(x + x * x, rel=1e-15)
    q = named_node(r, "q")
    assert q["grad"] == pytest.approx(1 + x, rel=1e-15)
    check_trace(r)
    into_q = [s for s in r.steps if s["kind"] == "edge" and s["source"] == q["id"]]
    assert len(into_q) == 2, "q feeds two gates"
    assert sum(s["contribution"] for s in into_q) == pytest.approx(q["grad"], rel=1e-15)
    assert into_q[-1]["accumulated"] == pytest.approx(q["grad"], rel=1e-15)
    into_x = [s for s in r.steps if s["kind"] == "edge" and s["source"] == variable_node(r, "x")["id"]]
    assert len(into_x) == 2, "x feeds q and q*x"
    assert sum(s["contribution"] for s in into_x) == pytest.approx(r.gradients["x"], rel=1e-15)


def test_a_variable_used_twice_in_one_gate_gets_two_edges_and_both_contributions():
    r = evaluate("x*x", {"x": 3.0})
    x = variable_node(r, "x")
    assert [e["source"] for e in r.edges] == [x["id"], x["id"]]
    assert r.gradients["x"] == 6.0
    check_trace(r)
    ev = [s for s in r.steps if s["kind"] == "edge"]
    assert [s["contribution"] for s in ev] == [3.0, 3.0]
    assert [s["accumulated"] for s in ev] == [3.0, 6.0]


def test_staged_sigmoid_with_forks_matches_central_differences():
    # the CS231n staged example f = (x + sigmoid(y)) / (sigmoid(x) + (x+y)^2)
    text = "sigy = sigmoid(y)\nnum = x + sigy\nsigx = sigmoid(x)\nxpy = x + y\nxpysqr = xpy**2\nden = sigx + xpysqr\ninvden = 1/den\nf = num*invden"
    values = {"x": 3.0, "y": -4.0}

    def ref(x, y):
        s = lambda u: 1 / (1 + np.exp(-u))
        return (x + s(y)) / (s(x) + (x + y) ** 2)

    r = evaluate(text, values)
    assert r.value == pytest.approx(float(ref(3.0, -4.0)), rel=1e-14)
    num = central_difference(ref, values)
    for k in values:
        assert_close(r.gradients[k], num[k])
    check_trace(r)


# ---------------------------------------------------------------- scaling inputs by 1000


@pytest.mark.parametrize("expr", ["w*x", "w*x + b", "dot(w, x) + b", "w @ x + b"])
def test_scaling_the_data_by_1000_scales_the_weight_gradient_by_1000(expr):
    vector = "dot" in expr or "@" in expr
    w = np.array([0.5, -1.5]) if vector else 0.5
    x = np.array([2.0, -3.0]) if vector else 2.0
    small = evaluate(expr, {"w": w, "x": x, "b": 0.1})
    big = evaluate(expr, {"w": w, "x": np.multiply(x, 1000.0), "b": 0.1})
    assert_close(small.gradients["w"], x, rtol=1e-15, atol=0)  # dw = x for a linear gate
    assert_close(big.gradients["w"], np.multiply(x, 1000.0), rtol=1e-15, atol=0)
    # ...while the gradient on the data does not change
    assert_close(big.gradients["x"], small.gradients["x"], rtol=1e-15, atol=0)


# ---------------------------------------------------------------- §9 D = W X


def test_matrix_product_gradients_are_G_Xt_and_Wt_G():
    rng = np.random.default_rng(9)
    W, X, G = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    r = evaluate("D = W @ X", {"W": W, "X": X}, output_grad=G)
    assert_close(r.value, W @ X, rtol=1e-14, atol=1e-14)
    assert r.value.shape == (2, 4)
    assert r.gradients["W"].shape == (2, 3) and r.gradients["X"].shape == (3, 4)
    assert_close(r.gradients["W"], G @ X.T, rtol=1e-13, atol=1e-13)
    assert_close(r.gradients["X"], W.T @ G, rtol=1e-13, atol=1e-13)
    assert tuple(named_node(r, "D")["shape"]) == (2, 4)
    check_trace(r, seed=G)


def test_output_grad_may_be_a_nested_list():
    r = evaluate("W @ X", {"W": [[1.0, 2.0]], "X": [[3.0], [4.0]]}, output_grad=[[2.0]])
    assert_close(r.gradients["W"], [[6.0, 8.0]], rtol=0, atol=0)
    assert_close(r.gradients["X"], [[2.0], [4.0]], rtol=0, atol=0)


def test_matrix_product_steps_give_the_rule_and_shapes_on_tensor_edges():
    rng = np.random.default_rng(10)
    W, X = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    r = evaluate("W @ X", {"W": W, "X": X})
    ev = {s["index"]: s for s in r.steps if s["kind"] == "edge"}
    assert isinstance(ev[0]["local"], str) and isinstance(ev[1]["local"], str)
    assert ev[0]["local"] != ev[1]["local"]
    assert {k: tuple(v) for k, v in ev[0]["shapes"].items()} == {"upstream": (2, 4), "source": (2, 3)}
    assert {k: tuple(v) for k, v in ev[1]["shapes"].items()} == {"upstream": (2, 4), "source": (3, 4)}
    ones = np.ones((2, 4))
    assert_close(ev[0]["contribution"], ones @ X.T, rtol=1e-13, atol=1e-13)
    assert_close(ev[1]["contribution"], W.T @ ones, rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- §2 losses


def test_mse_loss_is_the_mean_of_squared_errors_with_gradient_2_over_n():
    yhat, y = np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 1.0])
    r = evaluate("mse(yhat, y)", {"yhat": yhat, "y": y})
    assert r.value == pytest.approx((1 + 0 + 9) / 3, rel=1e-15)
    assert_close(r.gradients["yhat"], 2 * (yhat - y) / 3, rtol=1e-14, atol=0)
    assert_close(r.gradients["y"], -2 * (yhat - y) / 3, rtol=1e-14, atol=0)


def test_cross_entropy_averages_over_samples_in_columns():
    p = np.array([[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]])
    y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    r = evaluate("cross_entropy(p, y)", {"p": p, "y": y})
    assert r.value == pytest.approx(-(math.log(0.7) + math.log(0.3)) / 2, rel=1e-14)
    assert_close(r.gradients["p"], -y / p / 2, rtol=1e-14, atol=0)


# ---------------------------------------------------------------- step structure on the tutorial graphs


@pytest.mark.parametrize(
    "expr,values,seed",
    [
        ("(x+y)*z", CHAIN, None),
        ("x+y", {"x": -2, "y": 5}, -4.0),
        (NEURON, NEURON_VALUES, None),
        ("q = x*y; q + q*x", {"x": 3.0, "y": -2.0}, None),
        ("max(x, y) * x", {"x": 2.0, "y": -1.0}, 0.5),
    ],
)
def test_steps_are_forward_then_seed_then_one_event_per_edge(expr, values, seed):
    r = evaluate(expr, values, output_grad=seed)
    check_trace(r, seed=seed)
    kinds = [s["kind"] for s in r.steps]
    n_ops = len(op_nodes(r))
    assert kinds == ["node"] * n_ops + ["seed"] + ["edge"] * len(r.edges)
    assert [s["phase"] for s in r.steps] == ["forward"] * n_ops + ["backward"] * (1 + len(r.edges))


def test_variables_and_constants_have_no_forward_event():
    r = evaluate("2*x + pi", {"x": 1.0})
    fwd = {s["node"] for s in r.steps if s["phase"] == "forward"}
    for n in r.nodes:
        assert (n["id"] in fwd) == (n["kind"] == "op")
    assert [n["kind"] for n in r.nodes].count("constant") == 2


def test_constants_get_gradients_so_every_edge_carries_one():
    r = evaluate("3*x", {"x": 2.0})
    const = [n for n in r.nodes if n["kind"] == "constant"][0]
    assert const["value"] == 3.0 and const["grad"] == 2.0
    assert sorted(e["grad"] for e in r.edges) == [2.0, 3.0]


def test_a_node_the_output_does_not_depend_on_has_zero_gradient():
    r = evaluate("a = x*2; y*3", {"x": 5.0, "y": 1.0})
    assert r.value == 3.0
    assert r.gradients == {"x": 0.0, "y": 3.0}
    assert named_node(r, "a")["grad"] == 0.0
    check_trace(r)
