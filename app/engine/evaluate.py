"""`evaluate()`: parse, build, forward, backward, trace — the engine's main entry point.

The records it hands out (nodes, edges, step events) are declared and made in `trace.py`."""

from .autodiff import backward, forward, warnings_for
from .collector import quiet
from .expand import expand as expand_program
from .graph import build, seed_for
from .limits import DEFAULT_LIMITS
from . import mistakes
from .parser import parse
from .trace import edge_records, forward_events, node_ids, node_records


# From about this size on, what an evaluation makes goes straight to the GC's oldest
# generation (collector.py): ~1,000 nodes, whose records take ~20 ms to make, against a
# collection of the caller's young objects first (well under a millisecond).
LARGE_CHARS, LARGE_NODES = 5_000, 1_000


class Result:
    """What one evaluation produced; `nodes` (and `edges` after a mistake's pass) are
    built on first access."""

    __slots__ = ("graph", "ids", "value", "gradients", "steps", "warnings", "finite", "_grads",
                 "_contributions", "_nodes", "_edges", "mistake", "_right")

    def __init__(self, graph, ids, vals, grads, contributions, steps, warnings, finite,
                 mistake=None, right=None, edges=None):
        self.graph, self.ids = graph, ids
        self.value = vals[graph.output]
        self.gradients = {name: grads[i] for name, i in graph.variables.items()}
        self.steps, self.warnings = steps, warnings
        self.finite = finite  # every value, gradient and contribution is a finite number
        self._grads, self._contributions = grads, contributions
        self._nodes, self._edges = None, edges  # the edges come made by the backward pass
        # With a mistake: the MistakeReport (trace.py), and the right pass's (grads,
        # contributions) for the nodes' and edges' `right_grad`; else None.
        self.mistake, self._right = mistake, right

    @property
    def right_gradients(self):
        """The right gradients beside the wrong `gradients` (the same ones without a mistake)."""
        return self.gradients if self.mistake is None else self.mistake["right_gradients"]

    @property
    def output(self):
        return self.ids[self.graph.output]

    @property
    def nodes(self):
        if self._nodes is None:
            self._nodes = quiet(self._build_nodes, len(self.graph) >= LARGE_NODES)
        return self._nodes

    @property
    def edges(self):
        if self._edges is None:
            self._edges = quiet(self._build_edges, len(self.graph) >= LARGE_NODES)
        return self._edges

    def _build_nodes(self):
        nodes = node_records(self.graph, self.ids, self._grads)
        if self._right is not None:
            for node, grad in zip(nodes, self._right[0]):
                node["right_grad"] = grad
        return nodes

    def _build_edges(self):
        edges = edge_records(self.graph, self.ids, self._contributions)
        if self._right is not None:
            for edge, grad in zip(edges, self._right[1]):
                edge["right_grad"] = grad
        return edges


def evaluate(expression, values, output_grad=None, expand=False, limits=None, mistake=None):
    """Evaluate `expression` at `values` and backpropagate from its output.

    With `mistake` (a name in `MISTAKES`) the backward pass is replayed with that one wrong
    rule: `gradients`, the nodes, edges and steps are the wrong pass's, and
    `Result.mistake` holds the right gradients and what differs (docs/engine.md).

    >>> r = evaluate("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    >>> r.value, r.gradients
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
    >>> evaluate("x*x + x", {"x": 3}, mistake="overwrite_at_forks").gradients
    {'x': 3.0}
    """
    limits = limits or DEFAULT_LIMITS
    mistakes.check(mistake)
    large = isinstance(expression, str) and len(expression) >= LARGE_CHARS
    return quiet(lambda: _evaluate(expression, values, output_grad, expand, limits, mistake), large)


def _evaluate(expression, values, output_grad, expand, limits, mistake=None):
    graph = prepare(expression, values, expand, limits)
    return run(graph, seed_for(graph, output_grad, limits), mistake)


def prepare(expression, values, expand, limits):
    """Parse and build: every shape known and every limit checked, nothing computed yet."""
    program = parse(expression, limits)
    return build(expand_program(program) if expand else program, values, limits)


def run(graph, seed, mistake=None):
    """Forward, backward and the trace over a prepared graph (its op slots are filled)."""
    vals = graph.values
    forward(graph, vals)
    ids = node_ids(len(graph))
    steps = forward_events(graph, ids, vals)
    report = right = edges = None
    if mistake is None:
        edges = [None] * graph.edge_count
        grads, contributions, backward_steps = backward(graph, vals, seed, ids, edges)
    else:
        grads, contributions, backward_steps, report, right = mistakes.backward(
            graph, vals, seed, ids, mistake)
    steps += backward_steps
    warnings, finite = warnings_for(graph, vals, grads, contributions, ids)
    return Result(graph, ids, vals, grads, contributions, steps, warnings, finite, report, right,
                  edges)
