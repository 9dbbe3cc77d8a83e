"""The trace, nodes and edges the engine emits match their one declaration (engine/trace.py)."""

import typing

import numpy as np
import pytest

from app.engine import evaluate
from app.engine import trace

CASES = [
    ("(x+y)*z", {"x": -2, "y": 5, "z": -4}, False),
    ("q = x*y\nf = q + q*x", {"x": 3, "y": -2}, False),
    ("x*log(x)", {"x": 0}, False),
    ("b = sum(x)\nb*b", {"x": [1, 2]}, False),
    ("W @ X + b", {"W": [[1, 2], [3, 4]], "X": [[1, 0], [0, 1]], "b": 0.5}, False),
    ("sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, True),
    ("mse(sigmoid(W@X), Y)", {"W": [[1, 2]], "X": [[1, 0], [0, 1]], "Y": [[0, 1]]}, True),
    ("1/x + x/0", {"x": 0}, False),
    ("a = x*2\ny + 1", {"x": 1, "y": 2}, False),
]

EVENT_BY_KIND = {"node": trace.ForwardEvent, "seed": trace.SeedEvent, "edge": trace.EdgeEvent}


def _check(record, declared):
    keys = set(record)
    assert declared.__required_keys__ <= keys, (declared.__name__, record)
    assert keys <= declared.__required_keys__ | declared.__optional_keys__, (declared.__name__,
                                                                            record)
    hints = typing.get_type_hints(declared)
    for key in keys:
        if typing.get_origin(hints[key]) is typing.Literal:
            assert record[key] in typing.get_args(hints[key]), (declared.__name__, key)


@pytest.mark.parametrize("expression,values,expand", CASES)
def test_records_have_exactly_the_declared_fields(expression, values, expand):
    r = evaluate(expression, values, expand=expand)
    for node in r.nodes:
        _check(node, trace.NodeRecord)
    for edge in r.edges:
        _check(edge, trace.EdgeRecord)
    for step in r.steps:
        _check(step, EVENT_BY_KIND[step["kind"]])
        if step["kind"] == "edge":
            assert ("shapes" in step) == isinstance(step["local"], str)


@pytest.mark.parametrize("expression,values,expand", CASES)
def test_edges_are_numbered_once_and_the_trace_uses_them(expression, values, expand):
    r = evaluate(expression, values, expand=expand)
    g = r.graph
    by_id = {node["id"]: node for node in r.nodes}
    # the edge list is the nodes' inputs, targets in topological order, arguments in order
    expected = [(source, node["id"], k) for node in r.nodes
                for k, source in enumerate(node["inputs"])]
    assert [(e["source"], e["target"], e["index"]) for e in r.edges] == expected
    assert [e["id"] for e in r.edges] == list(range(len(expected)))
    assert g.edge_count == len(expected) == g.first_edge[-1]
    edge_steps = [s for s in r.steps if s["kind"] == "edge"]
    assert sorted(s["edge"] for s in edge_steps) == list(range(len(expected)))
    for s in edge_steps:
        e = r.edges[s["edge"]]
        assert (s["source"], s["target"], s["index"]) == (e["source"], e["target"], e["index"])
        assert s["contribution"] is e["grad"]
        assert np.array_equal(s["upstream"], by_id[s["target"]]["grad"], equal_nan=True)
    # order: forward events in topological order, the seed, then targets in reverse order
    forward = [s["node"] for s in r.steps if s["kind"] == "node"]
    assert forward == [n["id"] for n in r.nodes if n["kind"] == "op"]
    targets = [int(s["target"][1:]) for s in edge_steps]
    assert targets == sorted(targets, reverse=True)
    assert r.steps[len(forward)]["kind"] == "seed"


def test_leaf_kinds_use_one_vocabulary():
    r = evaluate("x * 2 + pi", {"x": 1})
    assert {n["kind"] for n in r.nodes} == {"variable", "constant", "op"}
    assert set(r.graph.kinds) == {trace.VARIABLE, trace.CONSTANT, trace.OP}


def test_the_api_schema_describes_every_record_and_event_field():
    from app.api.schemas import GraphResponse

    defs = GraphResponse.model_json_schema()["$defs"]
    steps = GraphResponse.model_json_schema()["properties"]["steps"]["items"]
    assert steps["discriminator"]["propertyName"] == "kind"
    assert set(steps["discriminator"]["mapping"]) == set(EVENT_BY_KIND)
    declared = {"Node": trace.NodeRecord, "Edge": trace.EdgeRecord,
                "ForwardEvent": trace.ForwardEvent, "SeedEvent": trace.SeedEvent,
                "EdgeEvent": trace.EdgeEvent, "EdgeShapes": trace.EdgeShapes,
                "Block": trace.Block}
    for name, record in declared.items():
        schema = defs[name]
        assert set(schema["properties"]) == set(record.__annotations__), name
        assert set(schema.get("required", [])) == set(record.__required_keys__), name
        assert schema["additionalProperties"] is False, name
