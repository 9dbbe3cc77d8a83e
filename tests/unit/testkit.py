"""Independent references and result inspectors shared by the engine's unit tests.

Nothing here calls the engine's forward pass: numeric gradients come from numpy
reference functions written in the tests, so a wrong forward is caught as well as a
wrong backward.
"""

import numpy as np

# Central differences with h = 1e-6 on O(1) functions are accurate to ~1e-9; a wrong
# local derivative is off by O(1), so these tolerances separate the two by far.
NUMERIC_RTOL = 1e-5
NUMERIC_ATOL = 1e-6


def as_float_array(v):
    return np.asarray(v, dtype=np.float64)


def central_difference(f, values, seed=None, h=1e-6):
    """d/d values[name] of sum(f(**values) * seed), element by element, by central differences.

    `f` is a plain numpy reference function of the variables (keyword arguments).
    Returns {name: ndarray of the value's shape}.
    """
    env = {k: np.array(v, dtype=np.float64) for k, v in values.items()}
    out = as_float_array(f(**env))
    seed = np.ones_like(out) if seed is None else np.broadcast_to(as_float_array(seed), out.shape)

    def objective():
        return float(np.sum(as_float_array(f(**env)) * seed))

    grads = {}
    for name, arr in env.items():
        g = np.zeros(arr.shape)
        for idx in np.ndindex(arr.shape):
            orig = arr[idx]
            arr[idx] = orig + h
            fp = objective()
            arr[idx] = orig - h
            fm = objective()
            arr[idx] = orig
            g[idx] = (fp - fm) / (2 * h)
        grads[name] = g
    return grads


def assert_close(actual, expected, rtol=NUMERIC_RTOL, atol=NUMERIC_ATOL, what=""):
    """Same shape, and numerically close."""
    a, e = as_float_array(actual), as_float_array(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def assert_value_type(v, shape):
    """A scalar is a Python float; a tensor is a float64 ndarray of the given shape."""
    if tuple(shape) == ():
        assert isinstance(v, float), f"scalar should be a Python float, got {type(v)!r}"
    else:
        assert isinstance(v, np.ndarray), f"tensor should be an ndarray, got {type(v)!r}"
        assert v.dtype == np.float64
        assert v.shape == tuple(shape)


def nodes_by_id(result):
    return {n["id"]: n for n in result.nodes}


def variable_node(result, name):
    found = [n for n in result.nodes if n["kind"] == "variable" and n["name"] == name]
    assert len(found) == 1, f"expected exactly one variable node {name!r}, found {len(found)}"
    return found[0]


def named_node(result, name):
    found = [n for n in result.nodes if n.get("name") == name]
    assert len(found) == 1, f"expected exactly one node named {name!r}, found {len(found)}"
    return found[0]


def op_nodes(result):
    return [n for n in result.nodes if n["kind"] == "op"]


def assert_shapes_consistent(result, values):
    """grad.shape == value.shape for every variable gradient and on every node."""
    for name, g in result.gradients.items():
        assert np.shape(g) == np.shape(as_float_array(values[name])), f"gradient of {name}"
        assert_value_type(g, np.shape(as_float_array(values[name])))
    for n in result.nodes:
        shape = tuple(n["shape"])
        assert np.shape(as_float_array(n["value"])) == shape, f"value shape of node {n['id']}"
        assert np.shape(as_float_array(n["grad"])) == shape, f"grad shape of node {n['id']}"
    assert_value_type(result.value, np.shape(as_float_array(result.value)))


def check_trace(result, seed=None):
    """The steps are the documented replayable timeline of this graph.

    forward events (one per op node, topological) -> one seed -> one event per edge,
    with each target's events after its own gradient is complete, contributions that
    accumulate into each node's gradient, and upstream*local == contribution on scalar edges.
    """
    nodes = nodes_by_id(result)
    ids = [n["id"] for n in result.nodes]
    assert len(ids) == len(set(ids)), "node ids are unique"

    # nodes are listed topologically
    seen = set()
    for n in result.nodes:
        for i in n["inputs"]:
            assert i in seen, f"node {n['id']} listed before its input {i}"
        seen.add(n["id"])
        if n["kind"] != "op":
            assert n["inputs"] == []
    assert result.output in nodes

    # edges: exactly one per argument of every op node, source == inputs[index]
    edges = {e["id"]: e for e in result.edges}
    assert len(edges) == len(result.edges), "edge ids are unique"
    by_target = {}
    for e in result.edges:
        by_target.setdefault(e["target"], []).append(e)
    for n in result.nodes:
        mine = sorted(by_target.get(n["id"], []), key=lambda e: e["index"])
        assert [e["index"] for e in mine] == list(range(len(n["inputs"]))), f"edges into {n['id']}"
        assert [e["source"] for e in mine] == list(n["inputs"])

    steps = result.steps
    n_fwd = 0
    while n_fwd < len(steps) and steps[n_fwd]["phase"] == "forward":
        n_fwd += 1
    forward, rest = steps[:n_fwd], steps[n_fwd:]

    # 1. forward: one per op node, topological, carrying the node's value
    assert all(s["kind"] == "node" for s in forward)
    fwd_nodes = [s["node"] for s in forward]
    op_ids = [n["id"] for n in result.nodes if n["kind"] == "op"]
    assert len(fwd_nodes) == len(set(fwd_nodes)), "one forward event per op node"
    assert sorted(fwd_nodes) == sorted(op_ids), "forward events are exactly the op nodes"
    pos = {nid: k for k, nid in enumerate(fwd_nodes)}
    for s in forward:
        for i in nodes[s["node"]]["inputs"]:
            if nodes[i]["kind"] == "op":
                assert pos[i] < pos[s["node"]], "forward events in topological order"
        np.testing.assert_array_equal(as_float_array(s["value"]), as_float_array(nodes[s["node"]]["value"]))

    # 2. one seed, on the output
    assert rest, "there is a seed event"
    seed_ev, edge_events = rest[0], rest[1:]
    assert seed_ev["phase"] == "backward" and seed_ev["kind"] == "seed"
    assert seed_ev["node"] == result.output
    out_shape = tuple(nodes[result.output]["shape"])
    expected_seed = np.ones(out_shape) if seed is None else np.broadcast_to(as_float_array(seed), out_shape)
    np.testing.assert_array_equal(as_float_array(seed_ev["grad"]), expected_seed)

    # 3. one event per edge
    assert all(s["phase"] == "backward" and s["kind"] == "edge" for s in edge_events)
    ev_ids = [s["edge"] for s in edge_events]
    assert len(ev_ids) == len(set(ev_ids)), "one event per edge"
    assert sorted(ev_ids, key=str) == sorted(edges, key=str), "events cover every edge"

    # the output starts from the seed; every other node from zero
    accumulated = {result.output: expected_seed.astype(np.float64)}
    done_targets = []
    for k, s in enumerate(edge_events):
        e = edges[s["edge"]]
        assert (s["source"], s["target"], s["index"]) == (e["source"], e["target"], e["index"])
        tgt, src = nodes[s["target"]], nodes[s["source"]]
        np.testing.assert_array_equal(as_float_array(s["contribution"]), as_float_array(e["grad"]))
        # upstream is the target's full gradient ...
        np.testing.assert_allclose(as_float_array(s["upstream"]), as_float_array(tgt["grad"]), rtol=1e-12, atol=0)
        # ... so nothing may flow into the target after it has sent gradient on
        assert s["source"] not in done_targets, (
            f"event {k}: gradient flows into {s['source']} after it already propagated"
        )
        if not done_targets or done_targets[-1] != s["target"]:
            assert s["target"] not in done_targets, "a target's edge events are contiguous"
            done_targets.append(s["target"])
        # contributions accumulate
        prev = accumulated.get(s["source"], 0.0)
        accumulated[s["source"]] = prev + as_float_array(s["contribution"])
        np.testing.assert_allclose(
            as_float_array(s["accumulated"]), accumulated[s["source"]], rtol=1e-12, atol=1e-300
        )
        if tuple(src["shape"]) == () and tuple(tgt["shape"]) == ():
            local = s["local"]
            assert isinstance(local, (int, float)) and not isinstance(local, bool), "scalar edge: local is a number"
            assert float(s["upstream"]) * float(local) == float(s["contribution"]) or (
                np.isnan(float(s["contribution"])) and np.isnan(float(s["upstream"]) * float(local))
            ), "scalar edge: contribution == upstream * local exactly"
        else:
            assert isinstance(s["local"], str) and s["local"], "tensor edge: local is the rule as text"
            assert tuple(s["shapes"]["upstream"]) == tuple(tgt["shape"])
            assert tuple(s["shapes"]["source"]) == tuple(src["shape"])
            assert np.shape(as_float_array(s["contribution"])) == tuple(src["shape"])

    # arguments left to right within a target
    for tgt in done_targets:
        idx = [s["index"] for s in edge_events if s["target"] == tgt]
        assert idx == sorted(idx), "arguments left to right"

    # every node's gradient is the sum of what flowed into it (or the seed for the output)
    for n in result.nodes:
        g = as_float_array(n["grad"])
        if n["id"] in accumulated:
            np.testing.assert_allclose(g, accumulated[n["id"]], rtol=1e-12, atol=1e-300)
        else:
            np.testing.assert_array_equal(g, np.zeros(tuple(n["shape"])))


# The error types of the API: bad input raises ExpressionError with one of these, only.
ERROR_TYPES = frozenset({
    "syntax_error", "invalid_character", "unknown_function", "missing_value", "reserved_name",
    "arity", "shape_mismatch", "invalid_value", "limit_exceeded",
})
