"""Rewrite composite ops (sigmoid, softmax, mse, …) into their primitive subgraphs.

This is the tutorial's "group operations into blocks" run backwards: the same values and
gradients, computed gate by gate. Each node of an expansion keeps the composite's span and
is tagged with its block, so the page can draw the block around them.
"""

from .ops import OPS
from .parser import Program


class _Emitter:
    """What an op's `expand(em, *inputs)` uses to emit nodes into the new program."""

    def __init__(self, prog):
        self.prog = prog
        self.span = self.block = None

    def op(self, name, *args):
        op = OPS[name]
        if op.expand is not None:
            return op.expand(self, *args)
        return self._node(op, args)

    def const(self, value):
        node = self._node("const", ())
        self.prog.consts[node] = float(value)
        self.prog.labels[node] = f"{value:g}"
        return node

    def _node(self, op, args):
        prog = self.prog
        node = len(prog.ops)
        prog.ops.append(op)
        prog.args.append(args)
        prog.spans.append(self.span)
        if self.block is not None:
            prog.blocks[node] = self.block
        return node


def expand(program):
    """A new Program with every composite op replaced by primitives."""
    if not any(op.__class__ is not str and op.expand is not None for op in program.ops):
        return program
    out = Program(program.text)
    em = _Emitter(out)
    remap = []
    blocks = 0
    for i, op in enumerate(program.ops):
        em.span = program.spans[i]
        args = tuple(remap[j] for j in program.args[i])
        if op.__class__ is not str and op.expand is not None:
            blocks += 1
            em.block = {"id": blocks, "op": op.name}
            node = op.expand(em, *args)
            em.block = None
        else:
            node = em._node(op, args)
            if i in program.labels:
                out.labels[node] = program.labels[i]
            if i in program.consts:
                out.consts[node] = program.consts[i]
        if i in program.names:
            out.names[node] = program.names[i]
        remap.append(node)
    out.variables = {name: remap[i] for name, i in program.variables.items()}
    out.output = remap[program.output]
    return out
