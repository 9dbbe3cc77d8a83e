"""From a parsed Program and the user's values to a computation graph with known shapes.

Shapes, element counts and FLOPs are inferred node by node and checked against the limits
before any tensor is computed, so `(1,60000) + (60000,1)` is refused at the `+` before
numpy allocates 3.6e9 floats. Nodes live in flat lists indexed by int id (cheap for the GC
and fast to loop over).

`Graph.elements` estimates peak memory in numbers: every node's value and the gradient each
edge sends back (they stay alive for the trace), the sums a tensor's gradient goes through
at a fork, the backward seed, and the largest set of temporaries any one op allocates while
it runs (its registry entry's `scratch`, e.g. the broadcast difference inside
`mse(row, column)`). `Graph.flops` is the forward FLOP estimate, `Graph.tensor_ops` the
number of op nodes numpy computes.
"""

import numbers
import re
from itertools import accumulate, chain, compress, repeat

import numpy as np

from .errors import ExpressionError
from .ops import CONSTANT_LABELS, CONSTANTS, FUNCTIONS, RESERVED
from .shapes import ShapeError, fmt, fmt_ko, size
from .trace import CONSTANT, LEAF_KINDS, OP, VARIABLE  # noqa: F401 (re-exported)


class Graph:
    """Parallel lists indexed by node id; ids are a topological order.

    Edges are first-class and numbered once, here: the edges of op node `i` are
    `first_edge[i] .. first_edge[i + 1] - 1`, one per argument in argument order (so edge
    ids follow the targets' topological order); `edge_list()` gives every edge's source,
    target and argument index. `op_nodes` lists the op nodes' ids in topological order.
    The passes, the trace, the edge records and the warnings all use these.
    """

    __slots__ = ("text", "kinds", "ops", "args", "spans", "labels", "names", "shapes",
                 "values", "blocks", "variables", "output", "elements", "flops", "tensor_ops",
                 "op_nodes", "first_edge", "_edge_list")

    def __len__(self):
        return len(self.kinds)

    @property
    def edge_count(self):
        return self.first_edge[-1]

    def edge_list(self):
        """(sources, targets, indexes), each indexed by edge id; made on first use (the
        passes need only `first_edge`), then kept."""
        if self._edge_list is None:
            args, lengths = self.args, list(map(len, self.args))
            self._edge_list = (list(chain.from_iterable(args)),
                               list(chain.from_iterable(map(repeat, range(len(args)), lengths))),
                               list(chain.from_iterable(map(range, lengths))))
        return self._edge_list


def _index_edges(g):
    """Number the edges once (see `Graph`); C-level iterators, as it runs on every build."""
    g.op_nodes = list(compress(range(len(g.ops)), g.ops))  # leaves' ops are None
    g.first_edge = list(accumulate(map(len, g.args), initial=0))
    g._edge_list = None


def build(program, values, limits):
    """Bind values to the program's variables and infer every shape (no computation yet)."""
    n = len(program)
    g = Graph()
    g.text, g.args, g.spans, g.output = program.text, program.args, program.spans, program.output
    g.ops = ops = [None if op.__class__ is str else op for op in program.ops]
    g.kinds = [OP if op is not None else LEAF_KINDS[marker]
               for op, marker in zip(ops, program.ops)]
    labels = program.labels
    g.labels = [labels[i] if op is None else op.label for i, op in enumerate(ops)]
    g.names = names = [None] * n
    g.blocks = [None] * n
    for i, block in program.blocks.items():
        g.blocks[i] = block
    for i, name in program.names.items():
        names[i] = name
    g.shapes = shapes = [()] * n
    g.values = vals = [None] * n
    for i, value in program.consts.items():
        vals[i] = value
    g.variables = program.variables
    check_names(program, values)
    elements, flops = n, float(n)  # every node counted as a scalar; tensors add the rest
    scratch = 0  # the largest set of temporaries of one op (they live one op at a time)
    used = set()  # tensor nodes already consumed once
    tensor_ops = 0  # op nodes computed by numpy (a tensor among their operands or output)
    for name, i in program.variables.items():
        names[i] = name
        span = program.spans[i]
        if name not in values:
            raise ExpressionError("missing_value", *span, "this variable has no value",
                                  "이 변수에 값이 없습니다", loc=("values", name))
        vals[i], shapes[i] = to_value(values[name], span, limits, ("values", name))
        elements += size(shapes[i])
    _check(limits, n, elements, flops, program.spans[g.output])
    args = g.args
    _index_edges(g)
    for i in g.op_nodes:
        op = ops[i]
        a = args[i]
        if op.local is not None and not shapes[a[0]] and not shapes[a[-1]]:
            continue  # the common scalar case, counted above
        tensor_ops += 1
        in_shapes = [shapes[j] for j in a]
        try:
            shape = op.shape(*in_shapes)
        except ShapeError as e:
            raise ExpressionError("shape_mismatch", *g.spans[i], e.msg, e.msg_ko) from None
        shapes[i] = shape
        # the value and gradient of the node, and the gradient each edge sends back
        elements += size(shape) + sum(map(size, in_shapes))
        for j in a:  # at a fork, each further use adds a new sum to the tensor's gradient
            if shapes[j]:
                if j in used:
                    elements += size(shapes[j])
                else:
                    used.add(j)
        flops += op.flops(in_shapes, shape)
        scratch = max(scratch, op.scratch(in_shapes, shape))
        _check(limits, n, elements + scratch, flops, g.spans[i])
    elements += scratch + size(shapes[g.output])  # and the seed of the backward pass
    _check(limits, n, elements, flops, g.spans[g.output])
    g.elements, g.flops, g.tensor_ops = elements, flops, tensor_ops
    return g


def check_names(program, values):
    """A value given for a reserved name is an error, never ignored (docs/engine.md, `evaluate`).

    Reserved: the functions and constants (`exp`, `sigmoid`, `e`, `pi`, …) and names with a
    leading `__`, exactly the names the parser refuses to assign. The span is the name's
    first use in the expression (`e` in `e*2`), else 0..0; `loc` is ("values", name).
    """
    if RESERVED.isdisjoint(values) and not any(
            name.__class__ is str and name.startswith("__") for name in values):
        return
    for name in values:
        if name in CONSTANTS or name in CONSTANT_LABELS:
            msg = "this name is a built-in constant (pi or e), so it cannot be given a value"
            msg_ko = "이 이름은 내장 상수(pi 또는 e)이므로 값을 줄 수 없습니다"
        elif name in FUNCTIONS:
            msg = "this name is a built-in function, so it cannot be given a value"
            msg_ko = "이 이름은 내장 함수이므로 값을 줄 수 없습니다"
        elif name.__class__ is str and name.startswith("__"):
            msg = "names starting with '__' are reserved, so they cannot be given a value"
            msg_ko = "'__'로 시작하는 이름은 예약되어 있으므로 값을 줄 수 없습니다"
        else:
            continue
        raise ExpressionError("reserved_name", *_first_use(program, name), msg, msg_ko,
                              loc=("values", name))


def _first_use(program, name):
    """The span of `name`'s first use as a constant or a function, else (0, 0).

    Every node's span starts at a token, so a node whose text starts with the whole
    identifier `name` is a use of it (comments and assignment targets make no nodes)."""
    text, k = program.text, len(name)
    starts = [s for s, _ in program.spans if text.startswith(name, s)
              and not _IDENT_CHAR.match(text, s + k)]
    return (min(starts), min(starts) + k) if starts else (0, 0)


_IDENT_CHAR = re.compile(r"[A-Za-z0-9_]")


def _check(limits, nodes, elements, flops, span):
    if nodes > limits.max_nodes:
        raise ExpressionError("limit_exceeded", *span,
                              f"the graph has more than {limits.max_nodes} nodes",
                              f"그래프의 노드가 {limits.max_nodes}개를 넘습니다")
    if elements > limits.max_total_elements:
        raise ExpressionError(
            "limit_exceeded", *span,
            f"the tensors here would hold more than {limits.max_total_elements:,} numbers",
            f"이 계산의 텐서가 {limits.max_total_elements:,}개보다 많은 수를 담게 됩니다")
    if 3.0 * flops > limits.max_flops:  # backward costs about twice the forward
        raise ExpressionError(
            "limit_exceeded", *span,
            f"this computation needs more than {limits.max_flops:.3g} floating-point "
            "operations", f"이 계산에는 {limits.max_flops:.3g}회가 넘는 부동소수점 연산이 필요합니다")


def to_value(raw, span, limits, loc):
    """A user value as a float (scalar) or a float64 array of rank 1 or 2, and its shape."""
    if isinstance(raw, bool) or not isinstance(raw, (numbers.Real, list, tuple, np.ndarray)):
        raise ExpressionError("invalid_value", *span, "a value must be a number or a nested "
                              "list of numbers", "값은 숫자 또는 숫자의 중첩 리스트여야 합니다",
                              loc=loc)
    if isinstance(raw, numbers.Real):
        return float(raw), ()
    if isinstance(raw, (list, tuple)):
        first = raw[0] if raw else None
        estimate = len(raw) * (len(first) if isinstance(first, (list, tuple)) else 1)
        if estimate > limits.max_input_elements:
            raise _too_many(span, limits, loc)
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (ValueError, TypeError):
        raise ExpressionError(
            "invalid_value", *span,
            "a tensor value must be a rectangular nested list of numbers (rows of equal length)",
            "텐서 값은 직사각형 모양(행 길이가 같은)의 숫자 중첩 리스트여야 합니다",
            loc=loc) from None
    if arr.ndim > limits.max_rank:
        raise ExpressionError("invalid_value", *span,
                              f"tensors have rank at most {limits.max_rank}, this one has {arr.ndim}",
                              f"텐서의 차원은 최대 {limits.max_rank}이며 이 값은 {arr.ndim}입니다",
                              loc=loc)
    if arr.size == 0:
        raise ExpressionError("invalid_value", *span, "a tensor value cannot be empty",
                              "텐서 값은 비어 있을 수 없습니다", loc=loc)
    if arr.size > limits.max_input_elements:
        raise _too_many(span, limits, loc)
    if arr.ndim == 0:
        return float(arr), ()
    return arr, arr.shape


def _too_many(span, limits, loc):
    return ExpressionError("limit_exceeded", *span,
                           f"a value may hold at most {limits.max_input_elements:,} numbers",
                           f"값 하나에는 최대 {limits.max_input_elements:,}개의 수를 담을 수 있습니다",
                           loc=loc)


def seed_for(g, output_grad, limits):
    """The backward seed: `output_grad` checked against the output's shape, else ones."""
    shape = g.shapes[g.output]
    if output_grad is None:
        return 1.0 if not shape else np.ones(shape)
    span = g.spans[g.output]
    seed, seed_shape = to_value(output_grad, span, limits, ("output_grad",))
    if seed_shape != shape:
        raise ExpressionError(
            "shape_mismatch", *span,
            f"output_grad has shape {fmt(seed_shape)} but the output has shape {fmt(shape)}",
            f"output_grad의 모양 {fmt_ko(seed_shape)}이 출력의 모양 {fmt_ko(shape)}과 다릅니다",
            loc=("output_grad",))
    return seed

