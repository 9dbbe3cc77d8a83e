"""The records an evaluation hands out — nodes, edges and the trace — declared once.

Everything the engine reports about a graph is declared here and built by the emitters
below: the node and edge records of `Result.nodes` / `Result.edges` and the step events of
`Result.steps` (docs/engine.md "Steps"). One exception, for speed: the scalar
edge events and the edge records (one each per edge of a 10,000-op program) are dict
literals in the accumulation loop of `autodiff.backward`, the one place every path of the
backward pass goes through (tests/unit/test_trace.py checks every emitted record against
its declaration); `edge_records` below makes the edge records of a pass replayed with a
mistake. The API's response models (`app/api/schemas.py`) are generated from these
TypedDicts, so `/openapi.json` describes every event kind and field, and a field added here
shows up there.

They are TypedDicts, i.e. plain dicts at run time: the engine makes tens of thousands of
them per request, and a dict literal is the cheapest record Python has. Values are the
engine's numbers (`EngineValue`: a Python float for a scalar, a float64 ndarray for a
tensor); the API encodes them as JSON numbers, nested lists, "NaN"/"Infinity" strings or
a summary of a large tensor.

Each field is `D[type, "description"]` (`typing.Annotated`): the description is for the
API's schema and costs nothing at run time.

Vocabulary: a node's `kind` is "variable", "constant" or "op" everywhere the graph is
seen (nodes, the CLI, the page). The parser's internal `Program.ops` still marks leaves
"var" / "const"; `LEAF_KINDS` translates, in `graph.build` only.
"""

from typing import Annotated as D, Literal, NotRequired, TypedDict, Union

import numpy as np

from .writing import node_texts

VARIABLE, CONSTANT, OP = "variable", "constant", "op"
NodeKind = Literal["variable", "constant", "op"]
LEAF_KINDS = {"var": VARIABLE, "const": CONSTANT}  # the parser's leaf markers → node kinds

EngineValue = Union[float, np.ndarray]  # a number or a tensor (rank 1 or 2)
Local = Union[float, str]  # ∂target/∂source on a scalar edge, else the rule as text


class Block(TypedDict):
    """On nodes made by expanding a composite: which expansion (k-th) and of what op."""
    id: D[int, "The expansion's number (nodes of one expanded call share it)."]
    op: D[str, "The composite op that was expanded, e.g. sigmoid."]


class NodeRecord(TypedDict):
    """One node of the graph (a variable used several times is ONE node)."""
    id: D[str, 'The node\'s id, "n<k>" with k its place in topological order.']
    kind: D[NodeKind, "variable, constant (a number literal, pi or e) or op."]
    op: D[str | None, "The op's name (add, mul, matmul, …); null on variables and constants."]
    label: D[str, "What the graph shows: ×, x, 2, …"]
    name: D[str | None, "The variable, or the name given by `name = expr`; else null."]
    text: D[str, "How the node is written: its name; else its own source text; else (inside "
                 "an expanded composite) its op's form over its inputs' texts, e.g. "
                 "1 + exp(−u). Long texts are cut in the middle with …; a text without … "
                 "parses back to the same computation."]
    inputs: D[list[str], "The argument nodes' ids, in argument order."]
    shape: D[list[int], "[] for a scalar, [n] or [rows, columns] for a tensor."]
    value: D[EngineValue, "The node's forward value."]
    grad: D[EngineValue, "d output / d node (zeros when the output does not depend on it)."]
    span: D[list[int], "[start, end): 0-based, end-exclusive code-point offsets into the "
                       "expression."]
    block: NotRequired[D[Block, "Only on nodes that came from expanding a composite."]]
    right_grad: NotRequired[D[EngineValue, "Only when a mistake was replayed: the node's "
                                           "right gradient (`grad` is then the wrong one)."]]


class EdgeRecord(TypedDict):
    """One wire: the value of `source` is argument `index` of op node `target`."""
    id: D[int, "The edge's id: its place in the graph's edge list (targets in topological "
               "order, arguments left to right). `x*x` has two edges from x."]
    source: D[str, "The input node's id."]
    target: D[str, "The op node's id."]
    index: D[int, "Argument position at the target (0-based)."]
    grad: D[EngineValue, "The contribution sent back along this edge."]
    right_grad: NotRequired[D[EngineValue, "Only when a mistake was replayed: what the right "
                                           "backward pass sends along this edge."]]


class ForwardEvent(TypedDict):
    """An op node is computed: one per op node, in topological order (variables and
    constants have none: they are given)."""
    phase: Literal["forward"]
    kind: Literal["node"]
    node: D[str, "The computed node's id."]
    value: D[EngineValue, "Its value."]


class SeedEvent(TypedDict):
    """The backward pass starts: the output's gradient is the seed (output_grad, or ones)."""
    phase: Literal["backward"]
    kind: Literal["seed"]
    node: D[str, "The output node's id."]
    grad: D[EngineValue, "The seed."]


class EdgeShapes(TypedDict):
    """The shapes a tensor rule works with."""
    upstream: D[list[int], "The target's shape (of its gradient G)."]
    source: D[list[int], "The source's shape (of the contribution)."]


class EdgeEvent(TypedDict):
    """One edge of the backward pass: contribution = upstream × local, added into the
    source's gradient. Op nodes in reverse topological order, each one's arguments left to
    right; at a fork the contributions into one node add up to its gradient."""
    phase: Literal["backward"]
    kind: Literal["edge"]
    edge: D[int, "The edge's id (as in `edges`)."]
    source: D[str, "The input node's id."]
    target: D[str, "The op node's id."]
    index: D[int, "Argument position at the target."]
    upstream: D[EngineValue, "The target's full gradient."]
    local: D[Local, "On a scalar edge (source and target both scalars) the number "
                    "∂target/∂source, and contribution = upstream × local exactly; on a "
                    "tensor edge the rule as text, e.g. G·Xᵀ (operand names filled in)."]
    contribution: D[EngineValue, "What this edge sends back to the source."]
    accumulated: D[EngineValue, "The source's gradient after adding the contribution (the "
                                "last one into a node equals its gradient)."]
    shapes: NotRequired[D[EdgeShapes, "On tensor edges (`local` is text) only."]]
    # Only in a pass replayed with a mistake (mistakes.py), on the steps where it happened:
    mistake: NotRequired[D[str, "The mistake that happened at this step (its name)."]]
    overwritten: NotRequired[D[EngineValue, "overwrite_at_forks: the source's gradient before "
                                            "this step, thrown away; `accumulated` is the "
                                            "contribution alone."]]
    right_local: NotRequired[D[Local, "output_for_input: the right local derivative (computed "
                                      "from the output); `local` is the wrong one."]]
    right_contribution: NotRequired[D[EngineValue, "no_broadcast_sum: the contribution summed "
                                                   "back to the source's shape, as it should "
                                                   "be; `contribution` is left un-summed."]]


class MistakeReport(TypedDict):
    """`Result.mistake`: what replaying the backward pass with one wrong rule changed."""
    name: D[str, "The mistake (GET /api/mistakes lists them)."]
    right_gradients: D[dict[str, EngineValue], "{variable: its right gradient}; `gradients` "
                                                "holds the wrong ones."]
    wrong_nodes: D[list[str], "Ids of the nodes whose gradient differs from the right one "
                              "(in value or in shape)."]
    wrong_edges: D[list[int], "Ids of the edges whose contribution differs from the right one."]
    dropped_edges: D[list[int], "overwrite_at_forks: the edges whose contribution was "
                                "overwritten, so it is in no gradient (else empty)."]


StepEvent = Union[ForwardEvent, SeedEvent, EdgeEvent]
RECORDS = (Block, NodeRecord, EdgeRecord, ForwardEvent, SeedEvent, EdgeShapes, EdgeEvent,
           MistakeReport)


# ---- emitters (the only places these records are made)

_IDS = []  # "n0", "n1", …, made once: ids are immutable strings, so graphs share them


def node_ids(n):
    global _IDS
    ids = _IDS
    if len(ids) < n:  # rebound, never grown in place: a concurrent caller sees one or the other
        _IDS = ids = [f"n{i}" for i in range(n)]
    return ids[:n]


def node_records(g, ids, grads):
    getid = ids.__getitem__
    # `[]` for the leaves and scalars (most nodes): no call to make an empty list
    nodes = [{"id": node_id, "kind": kind, "op": op and op.name, "label": label,
              "name": name, "text": text,
              "inputs": list(map(getid, node_args)) if node_args else [],
              "shape": list(shape) if shape else [], "value": value, "grad": grad,
              "span": list(span)}
             for node_id, kind, op, label, name, text, node_args, shape, value, grad, span
             in zip(ids, g.kinds, g.ops, g.labels, g.names, node_texts(g), g.args, g.shapes,
                    g.values, grads, g.spans)]
    for i, block in enumerate(g.blocks):
        if block is not None:
            nodes[i]["block"] = block
    return nodes


def edge_records(g, ids, contributions):
    """The EdgeRecords after a pass replayed with a mistake (the right pass makes its own,
    in `autodiff.backward`)."""
    return [{"id": e, "source": ids[j], "target": ids[i], "index": k, "grad": c}
            for e, (j, i, k, c) in enumerate(zip(*g.edge_list(), contributions))]


def forward_events(g, ids, vals):
    return [{"phase": "forward", "kind": "node", "node": ids[i], "value": vals[i]}
            for i in g.op_nodes]


def seed_event(output_id, seed):
    return {"phase": "backward", "kind": "seed", "node": output_id, "grad": seed}


def tensor_edge_event(e, source, target, index, upstream, local, contribution, accumulated,
                      target_shape, source_shape):
    """An EdgeEvent of a tensor edge (`local` is the rule as text, with the shapes).

    Scalar edge events are the same dict without `shapes`; `autodiff.backward` writes them
    inline, one per edge of a 10,000-op program (making them in a second pass over the
    edges here made the traced backward pass ~25 % slower)."""
    return {"phase": "backward", "kind": "edge", "edge": e, "source": source, "target": target,
            "index": index, "upstream": upstream, "local": local,
            "contribution": contribution, "accumulated": accumulated,
            "shapes": {"upstream": list(target_shape), "source": list(source_shape)}}
