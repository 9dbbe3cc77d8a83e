"""Deterministic benchmark programs, shared by every benchmark (engine, API, browser).

`scalar_program()` is the staged scalar program with forks from the speed issue: exactly
10,000 operations written as `name = expr` statements (one per line, ~100,000 characters),
using only what micrograd also supports (+ - * / ** with a constant exponent, relu, unary
minus, number constants), with every value bounded so nothing overflows or turns NaN.

The program is generated once as a tiny IR and then emitted three ways, so all three are the
SAME program by construction:

* `ScalarProgram.text` – the expression language of `app.engine.evaluate`;
* `micrograd_builder(prog)` – a compiled Python function building it from
  `micrograd.engine.Value`s (what a micrograd user would write by hand);
* the IR itself (`prog.statements`, `prog.final`) – for the hand-written linear tape.

IR expressions are nested tuples:
    ("var", name)            a free variable (x0..) or an earlier statement (s0..)
    ("const", float)         a number literal
    ("neg", a) ("relu", a)
    ("add"|"sub"|"mul"|"div", a, b)
    ("pow", a, ("const", p)) constant exponent only
"""

from __future__ import annotations

import dataclasses
import random
import sys

OPS = ("neg", "relu", "add", "sub", "mul", "div", "pow")
_BIN_SYM = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}

# micrograd's Value.backward() topo-sorts recursively: one Python frame per node on the
# longest path. Python 3.11 frames of pure-Python calls do not use the C stack, so a high
# limit is safe.
RECURSION_LIMIT = 10**6


@dataclasses.dataclass(frozen=True)
class ScalarProgram:
    text: str  # the program in the engine's language
    values: dict  # free variable name -> float
    inputs: tuple  # free variable names, in order
    statements: tuple  # ((name, ir), ...) in order
    final: tuple  # IR of the last line (a bare expression: the program's output)
    n_ops: int


def count_ops(e) -> int:
    tag = e[0]
    if tag in ("var", "const"):
        return 0
    return 1 + sum(count_ops(a) for a in e[1:])


def to_text(e) -> str:
    """Engine-language text. Every compound operand is parenthesised, so the text means
    the same under any sane precedence (and is valid Python too)."""
    tag = e[0]
    if tag == "var":
        return e[1]
    if tag == "const":
        return repr(e[1])
    if tag == "neg":
        return "(-" + _operand(e[1]) + ")"
    if tag == "relu":
        return "relu(" + to_text(e[1]) + ")"
    return _operand(e[1]) + " " + _BIN_SYM[tag] + " " + _operand(e[2])


def _operand(e) -> str:
    s = to_text(e)
    return s if e[0] in ("var", "const", "relu", "neg") else "(" + s + ")"


def _to_python(e) -> str:
    """Python source for micrograd (relu becomes the `.relu()` method)."""
    tag = e[0]
    if tag == "var":
        return e[1]
    if tag == "const":
        return repr(e[1])
    if tag == "neg":
        return "(-" + _py_operand(e[1]) + ")"
    if tag == "relu":
        return _py_operand(e[1]) + ".relu()"
    return _py_operand(e[1]) + " " + _BIN_SYM[tag] + " " + _py_operand(e[2])


def _py_operand(e) -> str:
    s = _to_python(e)
    return s if e[0] in ("var", "const", "neg") else "(" + s + ")"


# --- the generator -------------------------------------------------------------------------

def _v(name):
    return ("var", name)


def _c(x):
    return ("const", x)


def _bin(tag, a, b):
    return (tag, a, b)


# Each template maps (A, B, C, K) to an expression with |result| <= max(M, 1) whenever
# |A|, |B|, |C| <= M and |K| <= 1 (A: the previous stage, B/C: random earlier stages = forks,
# K: a random input in [-1, 1]). Comments give the bound and the operation count.
def _t_mix(A, B, C, K):  # ((A + B) * 0.5 + relu(C * K)) * 0.4      <= 0.8 M       6 ops
    return _bin("mul", _bin("add", _bin("mul", _bin("add", A, B), _c(0.5)),
                            ("relu", _bin("mul", C, K))), _c(0.4))


def _t_sub(A, B, C, K):  # (A - B * K) * 0.3 + relu(C) * 0.2          <= 0.8 M       6 ops
    return _bin("add", _bin("mul", _bin("sub", A, _bin("mul", B, K)), _c(0.3)),
                _bin("mul", ("relu", C), _c(0.2)))


def _t_div(A, B, C, K):  # (A * K + B) / (2.5 + relu(C))              <= 0.8 M       5 ops
    return _bin("div", _bin("add", _bin("mul", A, K), B),
                _bin("add", _c(2.5), ("relu", C)))


def _t_pow(A, B, C, K):  # ((1.0 + A * A) ** 0.5 - 1.0) * 0.5 + B * 0.3   <= 0.8 M   7 ops
    # base >= 1, so the exponent's own gradient (base**p * log(base)) is finite too
    return _bin("add", _bin("mul", _bin("sub", _bin("pow", _bin("add", _c(1.0), _bin("mul", A, A)),
                                                    _c(0.5)), _c(1.0)), _c(0.5)),
                _bin("mul", B, _c(0.3)))


def _t_neg(A, B, C, K):  # (-A) * 0.4 + relu(K - B) * 0.3             <= 0.7 M + 0.3  6 ops
    return _bin("add", _bin("mul", ("neg", A), _c(0.4)),
                _bin("mul", ("relu", _bin("sub", K, B)), _c(0.3)))


def _t_sum3(A, B, C, K):  # (A + B + C) * 0.25 + K * 0.2             <= 0.75 M + 0.2  5 ops
    return _bin("add", _bin("mul", _bin("add", _bin("add", A, B), C), _c(0.25)),
                _bin("mul", K, _c(0.2)))


TEMPLATES = (_t_mix, _t_sub, _t_div, _t_pow, _t_neg, _t_sum3)
_MIN_FINAL_OPS = 2


def scalar_program_ir(n_ops: int = 10_000, n_inputs: int = 100, seed: int = 20240601) -> ScalarProgram:
    """The staged scalar program with forks, with exactly `n_ops` operations."""
    rng = random.Random(seed)
    inputs = tuple(f"x{i}" for i in range(n_inputs))
    values = {name: rng.uniform(-1.0, 1.0) for name in inputs}
    stages: list[str] = []
    statements = []
    remaining = n_ops
    max_template_ops = 7
    while remaining - max_template_ops >= _MIN_FINAL_OPS:
        template = TEMPLATES[rng.randrange(len(TEMPLATES))]
        A = _v(stages[-1]) if stages else _v(rng.choice(inputs))
        # forks: mostly earlier stages (any distance back), sometimes an input
        pick = lambda: _v(rng.choice(stages)) if stages and rng.random() < 0.85 else _v(rng.choice(inputs))  # noqa: E731
        e = template(A, pick(), pick(), _v(rng.choice(inputs)))
        name = f"s{len(stages)}"
        statements.append((name, e))
        stages.append(name)
        remaining -= count_ops(e)
    # The last line, a bare expression, takes exactly the remaining r >= 2 ops:
    # (last + f1 + ... + f_{r-1}) * 0.1  ->  r-1 additions and one multiplication.
    terms = [_v(stages[-1])] + [_v(rng.choice(stages)) for _ in range(remaining - 1)]
    acc = terms[0]
    for t in terms[1:]:
        acc = _bin("add", acc, t)
    final = _bin("mul", acc, _c(0.1))
    total = sum(count_ops(e) for _, e in statements) + count_ops(final)
    assert total == n_ops, (total, n_ops)
    lines = [f"{name} = {to_text(e)}" for name, e in statements]
    lines.append(to_text(final))
    text = "\n".join(lines) + "\n"
    prog = ScalarProgram(text=text, values=values, inputs=inputs, statements=tuple(statements),
                         final=final, n_ops=total)
    _check_bounded(prog)
    return prog


def scalar_program(n_ops: int = 10_000, n_inputs: int = 100, seed: int = 20240601):
    """(expression_text, values) of the staged scalar program with forks."""
    prog = scalar_program_ir(n_ops, n_inputs, seed)
    return prog.text, dict(prog.values)


# --- plain-float reference evaluation (used only to check boundedness) ----------------------

def _eval(e, env):
    tag = e[0]
    if tag == "var":
        return env[e[1]]
    if tag == "const":
        return e[1]
    a = _eval(e[1], env)
    if tag == "neg":
        return -a
    if tag == "relu":
        return a if a > 0 else 0.0
    b = _eval(e[2], env)
    if tag == "add":
        return a + b
    if tag == "sub":
        return a - b
    if tag == "mul":
        return a * b
    if tag == "div":
        return a / b
    if tag == "pow":
        return a**b
    raise ValueError(tag)


def evaluate_plain(prog: ScalarProgram) -> float:
    env = dict(prog.values)
    for name, e in prog.statements:
        env[name] = _eval(e, env)
    return _eval(prog.final, env)


def _check_bounded(prog: ScalarProgram) -> None:
    env = dict(prog.values)
    for name, e in prog.statements:
        v = env[name] = _eval(e, env)
        assert abs(v) <= 10.0, (name, v)  # the templates guarantee <= 1
    out = _eval(prog.final, env)
    assert abs(out) < 1e6


# --- micrograd -----------------------------------------------------------------------------

def micrograd_builder(prog: ScalarProgram):
    """A function `build(values) -> (out, {input name: Value})` that builds (and, micrograd
    being eager, forwards) the program with `micrograd.engine.Value`s. Call
    `out.backward()` for the backward pass. The source is compiled once, here."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    from micrograd.engine import Value

    src = ["def build(values):"]
    src += [f"    {name} = Value(values[{name!r}])" for name in prog.inputs]
    src += [f"    {name} = {_to_python(e)}" for name, e in prog.statements]
    src.append(f"    out = {_to_python(prog.final)}")
    src.append("    return out, {" + ", ".join(f"{n!r}: {n}" for n in prog.inputs) + "}")
    ns = {"Value": Value}
    exec(compile("\n".join(src) + "\n", "<micrograd scalar program>", "exec"), ns)
    return ns["build"]


if __name__ == "__main__":  # quick look: python -m bench.programs
    p = scalar_program_ir()
    print(f"{p.n_ops} ops, {len(p.statements)} statements, {len(p.text)} chars, "
          f"{len(p.inputs)} inputs, output {evaluate_plain(p)!r}")
    print(p.text[:400])
    print("...")
    print(p.text[-300:])
