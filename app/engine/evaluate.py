"""`evaluate()`: parse, build, forward, backward, trace — the engine's main entry point."""

import gc

from .autodiff import backward, forward, warnings_for
from .expand import expand as expand_program
from .graph import OP, build, seed_for
from .limits import DEFAULT_LIMITS
from .parser import parse


class Result:
    """What one evaluation produced; `nodes` and `edges` are built on first access."""

    __slots__ = ("graph", "ids", "value", "gradients", "steps", "warnings", "finite", "_grads",
                 "_contributions", "_nodes", "_edges")

    def __init__(self, graph, ids, vals, grads, contributions, steps, warnings, finite):
        self.graph, self.ids = graph, ids
        self.value = vals[graph.output]
        self.gradients = {name: grads[i] for name, i in graph.variables.items()}
        self.steps, self.warnings = steps, warnings
        self.finite = finite  # every value, gradient and contribution is a finite number
        self._grads, self._contributions = grads, contributions
        self._nodes = self._edges = None

    @property
    def output(self):
        return self.ids[self.graph.output]

    @property
    def nodes(self):
        if self._nodes is None:
            self._nodes = _quiet_gc(self._build_nodes)
        return self._nodes

    @property
    def edges(self):
        if self._edges is None:
            self._edges = _quiet_gc(self._build_edges)
        return self._edges

    def _build_nodes(self):
        g, ids = self.graph, self.ids
        getid = ids.__getitem__
        nodes = [{"id": node_id, "kind": kind, "op": op and op.name, "label": label,
                  "name": name, "inputs": list(map(getid, node_args)), "shape": list(shape),
                  "value": value, "grad": grad, "span": list(span)}
                 for node_id, kind, op, label, name, node_args, shape, value, grad, span
                 in zip(ids, g.kinds, g.ops, g.labels, g.names, g.args, g.shapes, g.values,
                        self._grads, g.spans)]
        for i, block in enumerate(g.blocks):
            if block is not None:
                nodes[i]["block"] = block
        return nodes

    def _build_edges(self):
        g, ids, contributions = self.graph, self.ids, self._contributions
        edges = []
        for i in range(len(g)):
            target = ids[i]
            for k, j in enumerate(g.args[i]):
                e = len(edges)
                edges.append({"id": e, "source": ids[j], "target": target, "index": k,
                              "grad": contributions[e]})
        return edges


def _quiet_gc(build):
    """Run `build` with the cyclic GC paused: it makes many small objects and no cycles,
    and the GC would rescan the growing heap over and over (a large share of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        if was_enabled:
            gc.enable()


def evaluate(expression, values, output_grad=None, expand=False, limits=None):
    """Evaluate `expression` at `values` and backpropagate from its output.

    >>> r = evaluate("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    >>> r.value, r.gradients
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
    """
    limits = limits or DEFAULT_LIMITS
    return _quiet_gc(lambda: _evaluate(expression, values, output_grad, expand, limits))


def _evaluate(expression, values, output_grad, expand, limits):
    graph = prepare(expression, values, expand, limits)
    return run(graph, seed_for(graph, output_grad, limits))


def prepare(expression, values, expand, limits):
    """Parse and build: every shape known and every limit checked, nothing computed yet."""
    program = parse(expression, limits)
    return build(expand_program(program) if expand else program, values, limits)


def run(graph, seed):
    """Forward, backward and the trace over a prepared graph (its op slots are filled)."""
    vals = graph.values
    forward(graph, vals)
    ids = [f"n{i}" for i in range(len(graph))]
    steps = [{"phase": "forward", "kind": "node", "node": ids[i], "value": vals[i]}
             for i in range(len(graph)) if graph.kinds[i] is OP]
    grads, contributions, backward_steps = backward(graph, vals, seed, ids)
    steps += backward_steps
    warnings, finite = warnings_for(graph, vals, grads, contributions, ids)
    return Result(graph, ids, vals, grads, contributions, steps, warnings, finite)
