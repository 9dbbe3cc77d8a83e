"""Export as PyTorch (issue 10): the same expression, with the same values, as a runnable script.

`to_torch(expression, values, output_grad=None, limits=None)` returns the text of a short Python script
that builds the expression in PyTorch (float64, `requires_grad=True` on every variable), runs
the forward pass, backpropagates (from `output_grad`, else from 1, or from ones for a tensor
output, as the engine does) and prints the output and each variable's gradient, one line
each, in a stable format:

    f = -12.0
    x.grad = -4.0          (tensors as nested lists: .tolist())

The script is written from the parsed program (`app.engine.parse`), node by node, never by
rewriting the user's text, so it holds nothing of that text but identifiers (validated by
the parser) and numbers (printed here from floats). Named stages become Python assignments
with the same names (`q = x + y`); a name Python cannot use (a keyword such as `lambda`, a
builtin such as `print`, or `torch`) gets `_` appended until it is free.

Each op has one mapping in `_TORCH`, chosen so that values and gradients match the engine's
(app/engine/ops.py) exactly, not just usually: samples are columns, so softmax and the losses
work along dim 0 and divide by the number of columns; `torch.maximum` splits the gradient at
a tie as the engine does; and a power whose exponent depends on a variable uses a small
autograd function with the engine's ∂(a**b)/∂b = a**b·ln|a| (PyTorch's own uses ln a, NaN
for a negative base). An op without a faithful mapping raises `ExportError`.
"""

import builtins
import keyword
import math
import textwrap

from app.engine.graph import build, seed_for
from app.engine.limits import DEFAULT_LIMITS
from app.engine.parser import parse

__all__ = ["ExportError", "to_torch"]


class ExportError(ValueError):
    """The expression uses an op that has no faithful PyTorch equivalent."""


# ---------------------------------------------------------------- numbers

def _number(v, integral=True):
    """A float as Python source: `2` (integral, when `integral`), `0.5`, `1e-20`, `math.inf`."""
    if v != v:
        return "math.nan"
    if v in (math.inf, -math.inf):
        return "math.inf" if v > 0 else "-math.inf"
    negative_zero = v == 0 and math.copysign(1.0, v) < 0
    if integral and v.is_integer() and abs(v) < 2 ** 53 and not negative_zero:
        return str(int(v))  # exact below 2**53 (-0.0 stays a float, keeping its sign)
    return repr(float(v))


def _literal(value, fold=False):
    """A value as a Python literal (a number or nested lists of numbers); with `fold`, a long
    one is spread over lines: a matrix one row per line, a vector wrapped."""
    if isinstance(value, float):
        return _number(value, integral=False)
    if value.ndim == 1:
        text = ", ".join(_number(float(v), integral=False) for v in value)
        if fold and len(text) > 72:
            return "[\n" + textwrap.fill(text, 88, initial_indent="    ", break_on_hyphens=False,
                                           break_long_words=False, subsequent_indent="    ") + "\n]"
        return f"[{text}]"
    rows = [_literal(row) for row in value]
    if fold and sum(map(len, rows)) > 60:
        return "[\n" + "".join(f"    {row},\n" for row in rows) + "]"
    return "[" + ", ".join(rows) + "]"


# ---------------------------------------------------------------- expressions with precedence

# Python's precedence and the language's agree level by level (docs/engine.md): + - (1),
# * / @ (2), unary - (3), ** (4, right-associative, binding tighter than a unary minus on
# its left). An atom (a name, a number, a call) is 5.
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5
# Python refuses expressions nested much deeper than this (its parser stops at 200 levels of
# brackets and its compiler at ~1,000 levels of operators); deeper ones are split into steps.
MAX_DEPTH = 50
_LEVEL = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "@": MUL, "**": POW}
# Python float arithmetic that gives IEEE results without raising: these may stay Python
# numbers; anything else (1/0, 10.0**400, (-8)**(1/3), exp of a number) is done in torch.
_SAFE_ON_FLOATS = {"+", "-", "*"}


class _E:
    """An expression being written: its text, how tightly it binds, whether it is a torch
    tensor (else a Python number), and its depth (Python refuses to compile an expression
    nested too deeply, so a deep one is split into steps). `number` is set on a number
    literal, printed `2` next to a tensor and `2.0` in Python arithmetic (so that Python
    never does exact integer arithmetic where the engine rounds).

    `text` is a str or a tuple of parts (strs and tuples), joined once by `_flat`, so that
    writing a 10,000-term sum costs linear, not quadratic, time.
    """

    __slots__ = ("text", "prec", "tensor", "number", "depth")

    def __init__(self, text, prec=ATOM, tensor=True, number=None, depth=0):
        self.text, self.prec, self.tensor, self.number = text, prec, tensor, number
        self.depth = depth

    def source(self, on_floats=False):
        return _number(self.number, not on_floats) if self.number is not None else self.text


def _num(v):
    """A number literal (a Python number until something needs a tensor)."""
    return _E(_number(v), tensor=False, number=v)


def _flat(text):
    """A text's parts joined, without recursion (a long sum is a deep tuple)."""
    if text.__class__ is str:
        return text
    out, stack = [], [text]
    while stack:
        part = stack.pop()
        if part.__class__ is str:
            out.append(part)
        else:
            stack.extend(reversed(part))
    return "".join(out)


def _wrapped(e, prec, on_floats=False):
    text = e.source(on_floats)
    return ("(", text, ")") if e.prec < prec else text


def _deeper(*parts):
    return 1 + max((e.depth for e in parts), default=0)


def _tensor(e):
    """`e` as a tensor: a Python number goes through `torch.tensor(...)`."""
    if e.tensor:
        return e
    return _E(("torch.tensor(", e.source(True), ", dtype=torch.float64)"), depth=_deeper(e))


def _binary(symbol, a, b):
    on_floats = not a.tensor and not b.tensor
    if on_floats and symbol not in _SAFE_ON_FLOATS:
        a, on_floats = _tensor(a), False
    level = _LEVEL[symbol]
    if symbol == "**":  # right-associative; its right side may be a unary minus (2 ** -x)
        left, right = _wrapped(a, ATOM, on_floats), _wrapped(b, UNARY, on_floats)
    else:
        left, right = _wrapped(a, level, on_floats), _wrapped(b, level + 1, on_floats)
    return _E((left, f" {symbol} ", right), level, not on_floats, depth=_deeper(a, b))


def _neg(a):
    if a.number is not None:  # a negative number: printed by its context, like a literal
        return _E("-" + a.text, UNARY, False, number=-a.number)
    return _E(("-", _wrapped(a, UNARY, not a.tensor)), UNARY, a.tensor, depth=_deeper(a))


def _call(function, *args, extra=""):
    args = [_tensor(a) for a in args]
    parts = [function, "("]
    for k, a in enumerate(args):
        parts += [", " if k else "", a.text]
    return _E(tuple(parts + [extra, ")"]), depth=_deeper(*args))


def _method(a, call):
    a = _tensor(a)
    return _E((_wrapped(a, ATOM), ".", call), depth=_deeper(a))


# ---------------------------------------------------------------- one mapping per op

def _samples(shape):
    """N, the number of samples: columns, 1 for a vector or a scalar (ops.columns)."""
    return shape[1] if len(shape) == 2 else 1


def _broadcast(a, b):
    a, b = (1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b
    return tuple(max(x, y) for x, y in zip(a, b))


def _per_sample(total, n):
    return _binary("/", total, _num(float(n))) if n != 1 else total


def _function(name):
    return lambda args, shapes: _call(name, *args)


def _dot(args, shapes):
    # numpy's dot for rank <= 2: a product with a scalar, else the matrix product
    return _binary("*" if not shapes[0] or not shapes[1] else "@", *args)


def _transpose(args, shapes):
    # .T on a matrix; a vector or a scalar is its own transpose (as numpy's)
    return _method(args[0], "T") if len(shapes[0]) == 2 else args[0]


def _cross_entropy(args, shapes):
    p, y = args
    total = _neg(_method(_binary("*", y, _call("torch.log", p)), "sum()"))
    return _per_sample(total, _samples(_broadcast(*shapes)))


def _softmax_cross_entropy(args, shapes):
    z, y = args
    log_s = _call("torch.log_softmax", z, extra=", dim=0")
    return _per_sample(_neg(_method(_binary("*", y, log_s), "sum()")), _samples(shapes[0]))


_TORCH = {
    "add": lambda args, shapes: _binary("+", *args),
    "sub": lambda args, shapes: _binary("-", *args),
    "mul": lambda args, shapes: _binary("*", *args),
    "div": lambda args, shapes: _binary("/", *args),
    "matmul": lambda args, shapes: _binary("@", *args),
    "pow": lambda args, shapes: _binary("**", *args),  # a varying exponent: _Writer.write
    "neg": lambda args, shapes: _neg(args[0]),
    "exp": _function("torch.exp"),
    "log": _function("torch.log"),
    "sqrt": _function("torch.sqrt"),
    "abs": _function("torch.abs"),
    "sin": _function("torch.sin"),
    "cos": _function("torch.cos"),
    "tanh": _function("torch.tanh"),
    "sigmoid": _function("torch.sigmoid"),
    "relu": _function("torch.relu"),
    "max": _function("torch.maximum"),
    "min": _function("torch.minimum"),
    "dot": _dot,
    "sum": lambda args, shapes: _method(args[0], "sum()"),
    "mean": lambda args, shapes: _method(args[0], "mean()"),
    "transpose": _transpose,
    "softmax": lambda args, shapes: _call("torch.softmax", args[0], extra=", dim=0"),
    "mse": lambda args, shapes: _method(_binary("**", _binary("-", *args), _num(2.0)), "mean()"),
    "cross_entropy": _cross_entropy,
    "softmax_cross_entropy": _softmax_cross_entropy,
}

# Why a mapping reads as it does: a comment above the first statement that uses the op.
_NOTES = {
    "max": "torch.maximum splits the gradient evenly at an exact tie, as the visualizer does",
    "min": "torch.minimum splits the gradient evenly at an exact tie, as the visualizer does",
    "dot": "dot(a, b) is numpy's dot: a product with a scalar, else the matrix product @",
    "transpose": "transpose(x): .T on a matrix; a vector or a scalar is left as it is",
    "softmax": "samples are columns, so softmax runs down each column (dim=0)",
    "mse": "mse(a, b) = the mean of (a - b)**2 over every element",
    "cross_entropy": "cross_entropy(p, y) = -sum(y * log p) / N, N = the number of samples "
                     "(columns)",
    "softmax_cross_entropy": "softmax_cross_entropy(z, y) = -sum(y * log_softmax(z)) / N: "
                             "samples are columns, so classes run along dim=0, and N is the "
                             "number of columns",
    "power": "EnginePow: a ** b with the visualizer's gradient for a varying exponent",
    "steps": "a long expression, split into steps t1, t2, ...: Python cannot compile one "
             "nested this deeply",
}

_ENGINE_POW = '''
class EnginePow(torch.autograd.Function):
    """a ** b with the visualizer's d(a**b)/db = a**b * ln|a| (and 0 where a = 0 < b).
    PyTorch's own a ** b uses ln a there, which is NaN for a negative base."""

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        zero = torch.zeros_like(out)
        da = torch.where(b == 0, zero, b * a ** (b - 1))
        db = torch.where((a == 0) & (b > 0), zero, out * torch.log(torch.abs(a)))
        return (grad * da).sum_to_size(a.shape), (grad * db).sum_to_size(b.shape)
'''


# ---------------------------------------------------------------- names

# Names the script itself uses; a user's name equal to one of these, to a Python keyword or
# to a builtin gets "_" appended (until it is free), so the script never shadows what it uses.
_SCRIPT_NAMES = frozenset({"torch", "math", "EnginePow"})
_BUILTINS = frozenset(dir(builtins))


def _unusable(name):
    return keyword.iskeyword(name) or name in _BUILTINS or name in _SCRIPT_NAMES


def _python_names(names):
    """{engine name: Python name}: names Python can use stay as they are; the others get
    `_` appended, never taking a name already in use."""
    taken = {name for name in names if not _unusable(name)}
    result = {}
    for name in names:
        if name in taken:
            result[name] = name
            continue
        candidate = name + "_"
        while candidate in taken or _unusable(candidate):
            candidate += "_"
        taken.add(candidate)
        result[name] = candidate
    return result, taken


# ---------------------------------------------------------------- the script

def to_torch(expression, values, output_grad=None, limits=None):
    """The PyTorch script (a str) computing `expression` at `values` and its gradients.

    Raises ExpressionError for a problem with the input, exactly as `evaluate` does (the
    same parse, values and shapes checks), and ExportError for an op PyTorch cannot
    reproduce faithfully.
    """
    limits = limits or DEFAULT_LIMITS
    g = build(parse(expression, limits), values, limits)  # values bound, every shape known
    seed = seed_for(g, output_grad, limits) if output_grad is not None else None
    return _Writer(g).script(seed)


class _Writer:
    def __init__(self, g):
        self.g = g
        n = len(g)
        # every name a node carries, in order: variables first, then stages
        stage_names = [g.names[i] for i in range(n) if g.names[i] and g.kinds[i] != "variable"]
        engine_names = list(g.variables) + stage_names
        self.py, self.taken = _python_names(engine_names)
        out = "out"
        while out in self.taken or _unusable(out):
            out += "_"
        self.out_name = out
        # nodes whose value depends on a variable (a varying exponent needs EnginePow)
        self.varying = [False] * n
        for i in range(n):
            self.varying[i] = g.kinds[i] == "variable" or any(self.varying[j] for j in g.args[i])
        self.exprs = [None] * n  # how each node is referred to, once written
        self.notes_done = set()
        self.uses_pow = False
        self.temporaries = 0

    # -- one node

    def write(self, i):
        """The expression computing node `i` from its inputs' references; sets `notes`."""
        g = self.g
        op = g.ops[i]
        if op is None:  # a constant
            label = g.labels[i]
            value = g.values[i]
            if label in ("π", "e"):
                return _E("math.pi" if label == "π" else "math.e", tensor=False)
            return _num(value)
        args = [self.exprs[j] for j in g.args[i]]
        shapes = [g.shapes[j] for j in g.args[i]]
        if op.name == "pow" and self.varying[g.args[i][1]] and not self._positive(g.args[i][0]):
            self.uses_pow = True
            self.note("power")
            return _call("EnginePow.apply", *args)
        mapping = _TORCH.get(op.name)
        if mapping is None:
            raise ExportError(f"the op {op.name!r} has no faithful PyTorch equivalent, so this "
                              "expression cannot be exported")
        if op.name in _NOTES and (op.name != "transpose" or len(shapes[0]) != 2):
            self.note(op.name)
        return mapping(args, shapes)

    def _positive(self, j):
        """A positive constant base: torch's a ** b already has the visualizer's gradient."""
        return self.g.kinds[j] == "constant" and self.g.values[j] > 0

    def note(self, key):
        if key not in self.notes_done:
            self.notes_done.add(key)
            self.pending += textwrap.wrap(_NOTES[key], 92, initial_indent="# ",
                                          subsequent_indent="# ")

    # -- the whole script

    def script(self, seed):
        g, py = self.g, self.py
        body = self.body = []
        self.pending = []
        for name, i in g.variables.items():
            value = _literal(g.values[i], fold=True)
            line = f"{py[name]} = torch.tensor({value}, dtype=torch.float64, requires_grad=True)"
            body.append(line + (f"  # {name} in the expression" if py[name] != name else ""))
            self.exprs[i] = _E(py[name])
        if body:
            body.append("")
        output = g.output
        for i in range(len(g)):
            if g.kinds[i] == "variable":
                continue
            e = self.write(i)
            name = g.names[i]
            if name is not None:
                self.exprs[i] = self.assign(py[name], e, name)
            elif i == output:
                self.exprs[i] = self.assign(self.out_name, _tensor(e))
            elif e.depth > MAX_DEPTH:  # Python cannot compile a deeper expression
                self.note("steps")
                self.exprs[i] = self.assign(self.temporary(), e)
            else:
                self.exprs[i] = e
        result = _flat(self.exprs[output].text)
        if self.varying[output]:
            if seed is None and not g.shapes[output]:
                body.append(f"{result}.backward()")
            elif seed is None:
                body.append("# the output is a tensor: backpropagate ones, as the visualizer does")
                body.append(f"{result}.backward(torch.ones_like({result}))")
            else:
                body.append("# the upstream gradient given for the output")
                body.append(f"{result}.backward(torch.tensor({_literal(seed, fold=True)}, "
                            "dtype=torch.float64))")
        else:
            body.append("# the output does not depend on any variable: nothing to backpropagate")
        body.append("")
        body.append(f'print("{g.names[output] or self.out_name} =", {result}.tolist())')
        reached = self._reached()
        for name, i in g.variables.items():
            if i in reached:
                body.append(f'print("{name}.grad =", {py[name]}.grad.tolist())')
            else:  # torch leaves .grad None on a tensor the output does not use
                body.append(f'print("{name}.grad =", torch.zeros_like({py[name]}).tolist())'
                            "  # the output does not depend on it")
        imports = ["import math"] if any("math." in line for line in body) else []
        lines = _header(g) + ["", *imports, "import torch"]
        if self.uses_pow:
            lines += ["", *_ENGINE_POW.strip("\n").split("\n"), ""]
        return "\n".join(lines + [""] + body) + "\n"

    def assign(self, target, e, name=None):
        """`target = e` as a line (after the notes of the ops in it); what refers to it."""
        self.body += self.pending
        self.pending = []
        renamed = f"  # {name} in the expression" if name and name != target else ""
        self.body.append(f"{target} = {_flat(e.source(on_floats=True))}{renamed}")
        return _E(target, tensor=e.tensor)

    def temporary(self):
        while True:
            self.temporaries += 1
            name = f"t{self.temporaries}"
            if name not in self.taken and not _unusable(name):
                return name

    def _reached(self):
        """The nodes the output depends on (a variable elsewhere gets no .grad in torch)."""
        g, seen, stack = self.g, set(), [self.g.output]
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(g.args[i])
        return seen


# ---------------------------------------------------------------- the header

_ENGINE_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}


def _header(g):
    """What the script is, and the expression written back from the parsed program (in the
    language, so it never carries the user's comments or spacing: only names and numbers)."""
    exprs = [None] * len(g)
    lines = []
    for i in range(len(g)):
        op = g.ops[i]
        if op is None:
            label = "pi" if g.labels[i] == "π" else g.labels[i]
            e = _E(label if g.kinds[i] == "constant" else g.names[i])
        elif op.name in _ENGINE_SYMBOL:
            e = _binary(_ENGINE_SYMBOL[op.name], *(exprs[j] for j in g.args[i]))
        elif op.name == "neg":
            e = _neg(exprs[g.args[i][0]])
        else:
            e = _call(op.name, *(exprs[j] for j in g.args[i]))
        name = g.names[i]
        if name is not None and g.kinds[i] != "variable":
            lines.append(f"{name} = {_flat(e.text)}")
            e = _E(name)
        elif i == g.output:
            lines.append(_flat(e.text))
        exprs[i] = e
    return (["# Generated by Backprop Visualizer (Export as PyTorch) from the expression", "#"]
            + [f"#     {line}" for line in lines]
            + ["#", "# with the same values, in float64. Running it prints the output and the "
                    "gradient", "# of the output with respect to each variable."])
