"""Property tests: random programs, checked against references the engine never sees.

Scalar programs are generated twice over, as text for the engine and as a sympy
expression built from the same choices (sympy never parses the text); sympy's exact
derivative, evaluated at 40 digits, is the reference. Tensor programs are generated with a
numpy reference function, and checked against central differences of it. The text is
printed with as few parentheses as the grammar allows, so precedence is exercised too.
"""

import os
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.engine import ExpressionError, evaluate
from testkit import ERROR_TYPES, as_float_array, assert_close, assert_shapes_consistent, central_difference, check_trace

# precedence levels of the grammar (loosest first)
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5

# modest by default (the whole file runs in seconds); raise it for a deeper search, e.g.
# PROPERTY_EXAMPLES=5000 pytest tests/unit/test_properties.py
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "100"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def wrap(text, prec, min_prec):
    """Parenthesise only where the grammar needs it."""
    return text if prec >= min_prec else f"({text})"


# ================================================================ scalar programs vs sympy

X, Y, Z = (sp.Symbol(n, real=True) for n in "xyz")
SYMBOLS = {"x": X, "y": Y, "z": Z}


@dataclass(frozen=True)
class S:
    """A generated scalar expression: its text, its precedence, its sympy twin."""

    text: str
    prec: int
    sym: sp.Expr
    uses: frozenset = frozenset()  # free variables in the text
    kinks: tuple = ()  # sympy expressions that must stay away from 0 (non-smooth points, poles)
    bounds: tuple = ()  # (sympy expression, limit): keeps float64 intermediates far from overflow

    def at(self, min_prec):
        return wrap(self.text, self.prec, min_prec)


def merge(*parts):
    uses = frozenset().union(*(p.uses for p in parts))
    kinks = tuple(k for p in parts for k in p.kinks)
    bounds = tuple(b for p in parts for b in p.bounds)
    return uses, kinks, bounds


CONSTANTS = [
    ("2", sp.Integer(2)),
    ("3", sp.Integer(3)),
    ("0.5", sp.Rational(1, 2)),
    (".5", sp.Rational(1, 2)),
    ("1e-1", sp.Rational(1, 10)),
    ("2.5e0", sp.Rational(5, 2)),
    ("pi", sp.pi),
    ("e", sp.E),
]


def sym_sigmoid(a):
    return 1 / (1 + sp.exp(-a))


@st.composite
def scalar_leaf(draw, names):
    if draw(st.integers(0, 3)) == 0:
        text, sym = draw(st.sampled_from(CONSTANTS))
        return S(text, ATOM, sym)
    name = draw(st.sampled_from(sorted(names)))
    sym, uses = names[name]
    return S(name, ATOM, sym, uses)


@st.composite
def positive_expr(draw, names, depth):
    """An expression that is positive by construction (x is drawn positive)."""
    form = draw(st.sampled_from(["x", "const", "exp", "square+1", "sigmoid"] if depth > 0 else ["x", "const"]))
    if form == "x":
        return S("x", ATOM, X, frozenset({"x"}))
    if form == "const":
        text, sym = draw(st.sampled_from(CONSTANTS))  # all positive
        return S(text, ATOM, sym)
    a = draw(scalar_expr(names, depth - 1))
    uses, kinks, bounds = merge(a)
    if form == "exp":
        return S(f"exp({a.text})", ATOM, sp.exp(a.sym), uses, kinks, bounds + ((a.sym, 20),))
    if form == "sigmoid":
        return S(f"sigmoid({a.text})", ATOM, sym_sigmoid(a.sym), uses, kinks, bounds + ((a.sym, 20),))
    return S(f"{a.at(ATOM)}**2 + 1", ADD, a.sym**2 + 1, uses, kinks, bounds + ((a.sym, 1e6),))


OPERATOR_KINDS = ["add", "sub", "mul", "div", "neg", "plus", "ipow", "pow", "negpow"]
FUNCTION_KINDS = [
    "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "max", "min", "dot", "sum", "mean", "mse",
]  # fmt: skip


@st.composite
def scalar_expr(draw, names, depth):
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(scalar_leaf(names))
    # operators half the time, so precedence and associativity get exercised
    kind = draw(st.sampled_from(OPERATOR_KINDS if draw(st.booleans()) else FUNCTION_KINDS))
    sub = lambda: draw(scalar_expr(names, depth - 1))  # noqa: E731
    if kind in ("add", "sub", "mul", "div"):
        a, b = sub(), sub()
        uses, kinks, bounds = merge(a, b)
        if kind == "add":
            return S(f"{a.at(ADD)} + {b.at(MUL)}", ADD, a.sym + b.sym, uses, kinks, bounds)
        if kind == "sub":
            return S(f"{a.at(ADD)} - {b.at(MUL)}", ADD, a.sym - b.sym, uses, kinks, bounds)
        if kind == "mul":
            return S(f"{a.at(MUL)} * {b.at(UNARY)}", MUL, a.sym * b.sym, uses, kinks, bounds)
        q = a.sym / b.sym
        return S(f"{a.at(MUL)} / {b.at(UNARY)}", MUL, q, uses, kinks + (b.sym,), bounds + ((q, 1e6),))
    if kind in ("neg", "plus"):
        a = sub()
        sign = "-" if kind == "neg" else "+"
        return S(f"{sign}{a.at(UNARY)}", UNARY, -a.sym if kind == "neg" else a.sym, a.uses, a.kinks, a.bounds)
    if kind == "ipow":
        a = sub()
        k = draw(st.sampled_from([2, 3]))
        op = draw(st.sampled_from(["**", "^", " ** "]))
        return S(f"{a.at(ATOM)}{op}{k}", POW, a.sym**k, a.uses, a.kinks, a.bounds + ((a.sym**k, 1e6),))
    if kind in ("pow", "negpow"):
        base = draw(positive_expr(names, depth - 1))
        if kind == "negpow":  # a unary minus right after the power operator: x**-2
            k = draw(st.sampled_from([1, 2]))
            p = base.sym ** (-k)
            return S(f"{base.at(ATOM)}**-{k}", POW, p, base.uses, base.kinks, base.bounds + ((p, 1e6),))
        b = sub()
        uses, kinks, bounds = merge(base, b)
        p = base.sym**b.sym
        bounds = bounds + ((p, 1e6), (b.sym, 50))
        style = draw(st.sampled_from(["**", "^", "pow"]))
        if style == "pow":
            return S(f"pow({base.text}, {b.text})", ATOM, p, uses, kinks, bounds)
        return S(f"{base.at(ATOM)} {style} {b.at(UNARY)}", POW, p, uses, kinks, bounds)
    if kind in ("log", "sqrt"):
        a = draw(positive_expr(names, depth - 1))
        fn = sp.log if kind == "log" else sp.sqrt
        return S(f"{kind}({a.text})", ATOM, fn(a.sym), a.uses, a.kinks, a.bounds)
    if kind in ("exp", "sin", "cos", "tanh", "sigmoid", "abs", "relu", "sum", "mean"):
        a = sub()
        sym = {
            "exp": sp.exp,
            "sin": sp.sin,
            "cos": sp.cos,
            "tanh": sp.tanh,
            "sigmoid": sym_sigmoid,
            "abs": sp.Abs,
            "relu": lambda u: (u + sp.Abs(u)) / 2,
            "sum": lambda u: u,
            "mean": lambda u: u,
        }[kind](a.sym)
        kinks = a.kinks + ((a.sym,) if kind in ("abs", "relu") else ())
        bounds = a.bounds + (((a.sym, 20),) if kind in ("exp", "sigmoid") else ())
        return S(f"{kind}({a.text})", ATOM, sym, a.uses, kinks, bounds)
    a, b = sub(), sub()
    uses, kinks, bounds = merge(a, b)
    # max/min/relu written with Abs: exact away from the kinks, and sympy differentiates
    # Abs into sign() cleanly (nested Piecewise conditions it cannot always build)
    if kind == "max":
        sym = (a.sym + b.sym + sp.Abs(a.sym - b.sym)) / 2
        return S(f"max({a.text}, {b.text})", ATOM, sym, uses, kinks + (a.sym - b.sym,), bounds)
    if kind == "min":
        sym = (a.sym + b.sym - sp.Abs(a.sym - b.sym)) / 2
        return S(f"min({a.text}, {b.text})", ATOM, sym, uses, kinks + (a.sym - b.sym,), bounds)
    if kind == "dot":
        return S(f"dot({a.text}, {b.text})", ATOM, a.sym * b.sym, uses, kinks, bounds)
    assert kind == "mse"
    return S(f"mse({a.text}, {b.text})", ATOM, (a.sym - b.sym) ** 2, uses, kinks, bounds)


@st.composite
def scalar_program(draw):
    """Up to two named statements feeding a final expression (which may fork on them)."""
    names = {v: (s, frozenset({v})) for v, s in SYMBOLS.items()}
    lines, kinks, bounds, stmt_uses = [], [], [], []
    for i in range(draw(st.integers(0, 2))):
        g = draw(scalar_expr(names, 2))
        lines.append(f"t{i} = {g.text}")
        names[f"t{i}"] = (g.sym, g.uses)
        kinks.extend(g.kinks)
        bounds.extend(g.bounds)
        stmt_uses.append(g.uses)
    out = draw(scalar_expr(names, 3))
    lines.append(out.text)
    kinks.extend(out.kinks)
    bounds.extend(out.bounds)
    # every statement is evaluated, so every variable in the text gets a gradient
    uses = frozenset().union(out.uses, *stmt_uses)
    sep = draw(st.sampled_from(["\n", "; ", ";\n"]))
    return sep.join(lines), out.sym, uses, tuple(kinks), tuple(bounds)


def exact(exprs, point):
    """The expressions' values at the point, to 40 digits, as floats; None where undefined."""
    if any(e.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for e in exprs):
        return None
    f = sp.lambdify((X, Y, Z), list(exprs), modules="mpmath")
    try:
        with mpmath.workdps(40):
            out = f(*(mpmath.mpf(p) for p in point))
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return [complex(v) if isinstance(v, mpmath.mpc) else float(v) for v in out]


def close_to_exact(actual, expected, rtol=1e-7, atol=1e-9):
    return abs(actual - expected) <= rtol * abs(expected) + atol


POINT = st.tuples(
    st.floats(0.2, 2.0),  # x > 0: bare x is a valid log/sqrt/pow base
    st.floats(-2.0, 2.0),
    st.floats(-2.0, 2.0),
)


@SETTINGS
@given(program=scalar_program(), point=POINT, expand=st.booleans())
def test_random_scalar_programs_match_sympy_value_and_gradients(program, point, expand):
    text, sym, uses, kinks, bounds = program
    order = sorted(uses)
    exprs = [sym] + [sp.diff(sym, SYMBOLS[v]) for v in order] + list(kinks) + [b for b, _ in bounds]
    got = exact(exprs, point)
    assume(got is not None and all(isinstance(v, float) and np.isfinite(v) for v in got))
    value, grads = got[0], dict(zip(order, got[1 : 1 + len(order)]))
    kink_values = got[1 + len(order) : 1 + len(order) + len(kinks)]
    bound_values = got[1 + len(order) + len(kinks) :]
    # stay away from kinks and poles (where the derivative is not the limit) and from overflow
    assume(all(abs(k) > 1e-3 for k in kink_values))
    assume(all(abs(v) < limit for v, (_, limit) in zip(bound_values, bounds)))
    assume(abs(value) < 1e6 and all(abs(g) < 1e6 for g in grads.values()))

    values = dict(zip("xyz", point))
    r = evaluate(text, values, expand=expand)
    assert isinstance(r.value, float)
    assert close_to_exact(r.value, value), (text, r.value, value)
    assert set(r.gradients) == set(uses), text
    for v, g in grads.items():
        assert close_to_exact(r.gradients[v], g), (text, v, r.gradients[v], g)
    check_trace(r)


# ================================================================ tensor programs vs central differences


@dataclass
class T:
    """A generated tensor expression: text, precedence, numpy reference, result shape."""

    text: str
    prec: int
    fn: Callable
    shape: tuple
    uses: frozenset = frozenset()
    kinks: list = field(default_factory=list)  # env -> array that must stay away from 0

    def at(self, min_prec):
        return wrap(self.text, self.prec, min_prec)


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def np_softmax(z):
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


def tensor_leaves(m, n):
    return {"A": (m, n), "B": (m, n), "u": (n,), "c": (m, 1), "s": ()}


def leaf(name, shape):
    return T(name, ATOM, lambda env: env[name], shape, frozenset({name}))


def join(*parts):
    return frozenset().union(*(p.uses for p in parts)), [k for p in parts for k in p.kinks]


@st.composite
def tensor_positive(draw, shapes, depth):
    form = draw(st.sampled_from(["P", "exp", "square+1"] if depth > 0 else ["P"]))
    if form == "P":
        return leaf("P", shapes["A"])
    a = draw(tensor_expr(shapes, depth - 1))
    uses, kinks = join(a)
    if form == "exp":
        return T(f"exp({a.text})", ATOM, lambda env: np.exp(a.fn(env)), a.shape, uses, kinks)
    return T(f"{a.at(ATOM)}**2 + 1", ADD, lambda env: a.fn(env) ** 2 + 1, a.shape, uses, kinks)


UNARY_NP = {
    "exp": np.exp,
    "tanh": np.tanh,
    "sin": np.sin,
    "cos": np.cos,
    "sigmoid": np_sigmoid,
    "abs": np.abs,
    "relu": lambda a: np.maximum(a, 0.0),
}
TENSOR_KINDS = ["add", "sub", "mul", "div", "neg", "unary", "log", "sqrt", "ipow", "pow", "max", "min", "sum", "mean"]


@st.composite
def tensor_expr(draw, shapes, depth):
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(sorted(shapes)))
        return leaf(name, shapes[name])
    kind = draw(st.sampled_from(TENSOR_KINDS))
    sub = lambda: draw(tensor_expr(shapes, depth - 1))  # noqa: E731
    if kind in ("add", "sub", "mul", "max", "min"):
        a, b = sub(), sub()
        uses, kinks = join(a, b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        if kind in ("max", "min"):
            f = np.maximum if kind == "max" else np.minimum
            kinks = kinks + [lambda env: a.fn(env) - b.fn(env)]
            return T(f"{kind}({a.text}, {b.text})", ATOM, lambda env: f(a.fn(env), b.fn(env)), shape, uses, kinks)
        op, prec, f = {"add": ("+", ADD, np.add), "sub": ("-", ADD, np.subtract), "mul": ("*", MUL, np.multiply)}[kind]
        text = f"{a.at(prec)} {op} {b.at(prec + 1)}"
        return T(text, prec, lambda env: f(a.fn(env), b.fn(env)), shape, uses, kinks)
    if kind == "div":
        a, b = sub(), draw(tensor_positive(shapes, depth - 1))
        uses, kinks = join(a, b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        return T(f"{a.at(MUL)} / {b.at(UNARY)}", MUL, lambda env: a.fn(env) / b.fn(env), shape, uses, kinks)
    if kind in ("log", "sqrt"):
        a = draw(tensor_positive(shapes, depth - 1))
        f = np.log if kind == "log" else np.sqrt
        return T(f"{kind}({a.text})", ATOM, lambda env: f(a.fn(env)), a.shape, a.uses, a.kinks)
    if kind == "pow":
        base, b = draw(tensor_positive(shapes, depth - 1)), sub()
        uses, kinks = join(base, b)
        shape = np.broadcast_shapes(base.shape, b.shape)
        return T(f"{base.at(ATOM)} ** {b.at(UNARY)}", POW, lambda env: base.fn(env) ** b.fn(env), shape, uses, kinks)
    a = sub()
    if kind == "neg":
        return T(f"-{a.at(UNARY)}", UNARY, lambda env: -a.fn(env), a.shape, a.uses, a.kinks)
    if kind == "ipow":
        return T(f"{a.at(ATOM)}^2", POW, lambda env: a.fn(env) ** 2, a.shape, a.uses, a.kinks)
    if kind in ("sum", "mean"):
        f = np.sum if kind == "sum" else np.mean
        return T(f"{kind}({a.text})", ATOM, lambda env: f(a.fn(env)), (), a.uses, a.kinks)
    name = draw(st.sampled_from(sorted(UNARY_NP)))
    f = UNARY_NP[name]
    kinks = a.kinks + ([a.fn] if name in ("abs", "relu") else [])
    return T(f"{name}({a.text})", ATOM, lambda env: f(a.fn(env)), a.shape, a.uses, kinks)


ROOTS = ["none", "sum", "mean", "transpose", "softmax", "W@", "@v", "mse", "sce"]


@st.composite
def tensor_program(draw):
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shapes = tensor_leaves(m, n)
    body = draw(tensor_expr(shapes, 3))
    all_shapes = dict(shapes, P=(m, n))
    root = draw(st.sampled_from(ROOTS))
    sh = body.shape
    if root in ("softmax", "sce") and len(sh) == 0:
        root = "none"
    if root in ("W@", "@v") and len(sh) == 0:
        root = "sum"
    if root == "none":
        return body, all_shapes
    if root in ("sum", "mean", "transpose", "softmax"):
        f = {"sum": np.sum, "mean": np.mean, "transpose": np.transpose, "softmax": np_softmax}[root]
        shape = np.shape(f(np.zeros(sh)))
        return T(f"{root}({body.text})", ATOM, lambda env: f(body.fn(env)), shape, body.uses, body.kinks), all_shapes
    if root == "W@":  # W (2, rows) @ body
        all_shapes["W"] = (2, sh[0])
        shape = np.shape(np.zeros((2, sh[0])) @ np.zeros(sh))
        text = f"W @ {body.at(UNARY)}"
        return T(text, MUL, lambda env: env["W"] @ body.fn(env), shape, body.uses | {"W"}, body.kinks), all_shapes
    if root == "@v":  # body @ v (cols,)
        all_shapes["v"] = (sh[-1],)
        shape = np.shape(np.zeros(sh) @ np.zeros(sh[-1]))
        text = f"{body.at(MUL)} @ v"
        return T(text, MUL, lambda env: body.fn(env) @ env["v"], shape, body.uses | {"v"}, body.kinks), all_shapes
    if root == "mse":
        all_shapes["Ttarget"] = sh
        f = lambda env: np.mean((body.fn(env) - env["Ttarget"]) ** 2)  # noqa: E731
        return T(f"mse({body.text}, Ttarget)", ATOM, f, (), body.uses | {"Ttarget"}, body.kinks), all_shapes
    assert root == "sce"
    all_shapes["Ylab"] = sh

    def sce(env):
        p = np_softmax(body.fn(env))
        return -np.sum(env["Ylab"] * np.log(p)) / (sh[1] if len(sh) == 2 else 1)

    return T(f"softmax_cross_entropy({body.text}, Ylab)", ATOM, sce, (), body.uses | {"Ylab"}, body.kinks), all_shapes


@SETTINGS
@given(program=tensor_program(), seed=st.integers(0, 2**32 - 1), expand=st.booleans())
def test_random_tensor_programs_match_central_differences(program, seed, expand):
    expr, shapes = program
    rng = np.random.default_rng(seed)
    values = {}
    for name, shape in shapes.items():
        if name == "P":
            values[name] = rng.uniform(0.5, 2.0, size=shape)
        elif name == "Ylab":  # a distribution per column
            values[name] = np_softmax(rng.uniform(-1, 1, size=shape))
        else:
            values[name] = rng.uniform(-1.5, 1.5, size=shape)
        if shape == ():
            values[name] = float(values[name])
    env = {k: as_float_array(v) for k, v in values.items()}
    for k in expr.kinks:
        assume(np.min(np.abs(k(env))) > 1e-3)
    try:  # reject points where any intermediate of the reference overflows
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            expected = as_float_array(expr.fn(env))
    except FloatingPointError:
        assume(False)
    assume(np.all(np.isfinite(expected)) and np.max(np.abs(expected), initial=0) < 1e3)
    out_grad = None if expr.shape == () and rng.integers(2) else rng.uniform(-1, 1, size=expr.shape)
    if isinstance(out_grad, np.ndarray) and out_grad.shape == ():
        out_grad = float(out_grad)

    used = {k: values[k] for k in expr.uses}
    numeric = central_difference(lambda **kw: expr.fn({**env, **kw}), used, seed=out_grad)
    assume(all(np.all(np.isfinite(g)) and np.max(np.abs(g), initial=0) < 1e3 for g in numeric.values()))

    r = evaluate(expr.text, values, output_grad=out_grad, expand=expand)
    assert_close(r.value, expected, rtol=1e-10, atol=1e-12, what=expr.text)
    assert set(r.gradients) == set(expr.uses)
    for k in expr.uses:
        assert_close(r.gradients[k], numeric[k], rtol=1e-5, atol=1e-5, what=f"{expr.text} d/d{k}")
    assert_shapes_consistent(r, values)
    check_trace(r, seed=out_grad)


# ================================================================ fuzz: nothing but ExpressionError escapes

TOKENS = [
    "x", "y", "W", "q", "2", ".5", "1e3", "1e999", "+", "-", "*", "/", "@", "**", "^", "(", ")", ",", ";",
    "\n", " ", "=", "#", "exp", "log", "max", "sum", "softmax", "mse", "dot", "transpose", "pi", "e", "$",
    "\u2212", "\u00e9", "__a", "relu", "sqrt", "cross_entropy",
]  # fmt: skip


@settings(max_examples=3 * EXAMPLES, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_random_token_soup_either_evaluates_or_raises_expression_error(text):
    values = {"x": 0.5, "y": np.array([1.0, -2.0]), "W": np.array([[1.0, 2.0], [3.0, 4.0]])}
    try:
        r = evaluate(text, values)
    except ExpressionError as err:
        assert err.type in ERROR_TYPES
        assert 0 <= err.start <= err.end <= len(text)
        assert err.msg and err.msg_ko
        return
    # whatever evaluates must be self-consistent
    with np.errstate(all="ignore"):
        for name, g in r.gradients.items():
            assert np.shape(g) == np.shape(values[name])
    check_trace(r)
