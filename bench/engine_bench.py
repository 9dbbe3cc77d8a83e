"""Engine speed (the speed issue):

1. scalar: the deterministic 10,000-op staged program with forks (bench/programs.py).
   engine  = `evaluate(text, values)` with the graph and the trace materialised
             (parse + graph + forward + backward + trace);
   micrograd = build + forward + backward of the same program with `micrograd.engine.Value`
             (GC at Python's default, as users run it; also shown with GC off, for information);
   tape    = a minimal hand-written linear tape (flat lists, a forward loop and a reverse
             loop): the pure-Python limit.
   Target: engine / micrograd <= 0.25.
2. tensor: `mse(sigmoid(W @ X + b), Y)` at 512x512, batch 512, against hand-written numpy
   forward + backward (three matmuls). Target: engine / numpy <= 1.2.

All systems are checked to agree (value and gradients, rel 1e-9) before anything is timed.
Runs are interleaved round by round (so machine noise hits every system alike) after one
warm-up round, with garbage collected between runs (untimed); medians are quoted.
"""

from __future__ import annotations

import gc
import math

from bench import programs
from bench.common import (Outcome, VerificationError, close, fmt_ms, median_ms, spread, timed,
                          verdict)

SCALAR_TARGET = 0.25
TENSOR_TARGET = 1.2
REL = 1e-9


# --- the hand-written linear tape ----------------------------------------------------------

# op codes, most frequent first
MUL, ADD, SUB, DIV, RELU, NEG, POW = range(7)
_CODE = {"mul": MUL, "add": ADD, "sub": SUB, "div": DIV, "relu": RELU, "neg": NEG, "pow": POW}


class Tape:
    """Slots 0..n_leaf-1 hold the inputs and constants; each later slot is one op whose
    operands are slot indexes `a[i]`, `b[i]` (b unused by unary ops)."""

    def __init__(self, prog: programs.ScalarProgram):
        leaf_vals, ops, A, B = [], [], [], []
        slot = {}
        for name in prog.inputs:
            slot[name] = len(leaf_vals)
            leaf_vals.append(prog.values[name])
        # constants become leaf slots; ops are numbered after all leaves
        consts = []

        def leafs(e):
            if e[0] == "const":
                consts.append(e[1])
            elif e[0] != "var":
                for x in e[1:]:
                    leafs(x)

        for _, e in prog.statements:
            leafs(e)
        leafs(prog.final)
        n_leaf = len(leaf_vals) + len(consts)
        const_iter = iter(range(len(leaf_vals), n_leaf))
        leaf_vals += consts

        def emit(e):
            tag = e[0]
            if tag == "var":
                return slot[e[1]]
            if tag == "const":
                return next(const_iter)  # same traversal order as leafs()
            a = emit(e[1])
            b = emit(e[2]) if len(e) > 2 else 0
            ops.append(_CODE[tag])
            A.append(a)
            B.append(b)
            return n_leaf + len(ops) - 1

        for name, e in prog.statements:
            slot[name] = emit(e)
        self.out = emit(prog.final)
        self.leaf_vals = leaf_vals
        self.n_leaf = n_leaf
        self.ops, self.A, self.B = ops, A, B
        self.n = n_leaf + len(ops)
        self.input_slots = {name: slot[name] for name in prog.inputs}
        assert self.out == self.n - 1 and len(ops) == prog.n_ops


def tape_run(t: Tape):
    """Forward then reverse sweep. Returns (output value, gradient list over slots)."""
    val = t.leaf_vals + [0.0] * len(t.ops)
    ops, A, B = t.ops, t.A, t.B
    idx = range(t.n_leaf, t.n)
    for i, o, a, b in zip(idx, ops, A, B):
        if o == MUL:
            val[i] = val[a] * val[b]
        elif o == ADD:
            val[i] = val[a] + val[b]
        elif o == SUB:
            val[i] = val[a] - val[b]
        elif o == DIV:
            val[i] = val[a] / val[b]
        elif o == RELU:
            v = val[a]
            val[i] = v if v > 0.0 else 0.0
        elif o == NEG:
            val[i] = -val[a]
        else:
            val[i] = val[a] ** val[b]
    grad = [0.0] * t.n
    grad[t.out] = 1.0
    for i, o, a, b in zip(reversed(idx), reversed(ops), reversed(A), reversed(B)):
        g = grad[i]
        if o == MUL:
            grad[a] += g * val[b]
            grad[b] += g * val[a]
        elif o == ADD:
            grad[a] += g
            grad[b] += g
        elif o == SUB:
            grad[a] += g
            grad[b] -= g
        elif o == DIV:
            vb = val[b]
            grad[a] += g / vb
            grad[b] -= g * val[a] / (vb * vb)
        elif o == RELU:
            if val[a] > 0.0:
                grad[a] += g
        elif o == NEG:
            grad[a] -= g
        else:
            p = val[b]
            grad[a] += g * p * val[a] ** (p - 1.0)
    return val[t.out], grad


# --- scalar -------------------------------------------------------------------------------

def _touch(seq):
    """Make sure a result field is really built: a list is (len + last element); anything
    lazier is materialised here, inside the timing."""
    if seq.__class__ is list:
        return len(seq) and seq[-1]
    return list(seq)


def _scalar_check(prog, tape, r, mg, tape_result):
    out_mg, xs = mg
    out_tape, grad_tape = tape_result
    problems = []
    if not (close(r.value, out_mg.data, REL) and close(r.value, out_tape, REL)):
        problems.append(f"output: engine {r.value!r}, micrograd {out_mg.data!r}, tape {out_tape!r}")
    scale = max(abs(xs[n].grad) for n in prog.inputs) * 1e-6  # nearly-cancelled sums only
    bad = []
    for n in prog.inputs:
        ge, gm, gt = r.gradients.get(n), xs[n].grad, grad_tape[tape.input_slots[n]]
        if ge is None or not (close(ge, gm, REL, scale) and close(ge, gt, REL, scale)):
            bad.append(f"{n}: engine {ge!r}, micrograd {gm!r}, tape {gt!r}")
    if bad:
        problems.append(f"{len(bad)} of {len(prog.inputs)} input gradients differ, e.g. " + "; ".join(bad[:3]))
    if problems:
        raise VerificationError("scalar program: " + " | ".join(problems))


def bench_scalar(runs: int, log=print) -> list[Outcome]:
    from app.engine import evaluate

    prog = programs.scalar_program_ir()
    text, values = prog.text, dict(prog.values)
    build = programs.micrograd_builder(prog)
    tape = Tape(prog)

    # Each run gets its own text (a trailing comment differs), so no cache keyed on the
    # expression can skip parsing: every run pays parse + graph + forward + backward + trace.
    texts = iter([f"{text}# run {i}\n" for i in range(runs + 1)])

    def engine():
        r = evaluate(next(texts), values)
        _touch(r.steps)
        _touch(r.nodes)
        _touch(r.edges)
        r.gradients  # noqa: B018 (a lazy property would be paid here)
        return r

    def micrograd():
        out, xs = build(values)
        out.backward()
        return out, xs

    def micrograd_gc_off():
        gc.disable()
        try:
            return micrograd()
        finally:
            gc.enable()

    def linear_tape():
        return tape_run(tape)

    def linear_tape_with_build():
        return tape_run(Tape(prog))

    systems = {"engine": engine, "micrograd": micrograd, "micrograd_gc_off": micrograd_gc_off,
               "tape": linear_tape, "tape_with_build": linear_tape_with_build}

    # warm-up round, which also checks that everybody computes the same thing
    warm = {k: timed(f) for k, f in systems.items()}
    r = warm["engine"][1]
    _scalar_check(prog, tape, r, warm["micrograd"][1], warm["tape"][1])
    info = _scalar_graph_info(prog, r)
    del warm, r

    samples = {k: [] for k in systems}
    names = list(systems)
    for i in range(runs):
        for k in names[i % len(names):] + names[: i % len(names)]:  # rotate the order
            dt, res = timed(systems[k])
            samples[k].append(dt)
            del res
    gc.collect()

    med = {k: median_ms(v) for k, v in samples.items()}
    ratio = med["engine"] / med["micrograd"]
    paired = sorted(e / m for e, m in zip(samples["engine"], samples["micrograd"]))[runs // 2]
    ok = ratio <= SCALAR_TARGET
    line = (f"scalar {prog.n_ops // 1000}k-op: engine {fmt_ms(med['engine'])} | micrograd "
            f"{fmt_ms(med['micrograd'])} (gc off {fmt_ms(med['micrograd_gc_off'])}) | tape "
            f"{fmt_ms(med['tape'])} | engine/micrograd {ratio:.3f} (target ≤ {SCALAR_TARGET}) "
            f"{verdict(ok)} | engine/tape {med['engine'] / med['tape']:.1f}")
    log(line)
    log(f"  medians of {runs} interleaved runs after a warm-up; values and x-gradients agree "
        f"(rel {REL:g}); {info}")
    log(f"  per op: engine {med['engine'] * 1e3 / prog.n_ops:.2f} µs, micrograd "
        f"{med['micrograd'] * 1e3 / prog.n_ops:.2f} µs, tape {med['tape'] * 1e3 / prog.n_ops:.2f} µs; "
        f"paired median engine/micrograd {paired:.3f}")
    log(f"  tape = forward + reverse loops over prebuilt flat lists; building those lists from "
        f"the program too: {fmt_ms(med['tape_with_build'])} (engine/that "
        f"{med['engine'] / med['tape_with_build']:.1f})")
    for k in names:
        log(f"  {k:17s} {spread(samples[k])}")
    return [Outcome("scalar engine/micrograd", line, ok,
                    {"ms": med, "ratio": ratio, "engine_over_tape": med["engine"] / med["tape"]})]


def _scalar_graph_info(prog, r) -> str:
    nodes, edges, steps = list(r.nodes), list(r.edges), list(r.steps)
    n_op = sum(1 for n in nodes if n["kind"] == "op")
    fwd = sum(1 for s in steps if s["phase"] == "forward")
    s = (f"{len(prog.text):,} chars, {n_op:,} op nodes of {len(nodes):,}, {len(edges):,} edges, "
         f"{len(steps):,} trace steps ({fwd:,} forward)")
    if n_op != prog.n_ops:
        s += f"  [NOTE: the engine made {n_op} op nodes for a {prog.n_ops}-op program]"
    if r.warnings:
        s += f"  [NOTE: {len(r.warnings)} warnings]"
    return s


# --- tensor -------------------------------------------------------------------------------

TENSOR_EXPR = "mse(sigmoid(W @ X + b), Y)"


def tensor_values(n: int = 512, batch: int = 512, seed: int = 7):
    import numpy as np

    rng = np.random.default_rng(seed)
    return {
        "W": rng.standard_normal((n, n)) / math.sqrt(n),  # keeps W @ X ~ N(0, 1): no saturation
        "X": rng.standard_normal((n, batch)),
        "b": 0.5 * rng.standard_normal((n, 1)),
        "Y": rng.random((n, batch)),
    }


def numpy_reference(W, X, b, Y):
    """Hand-written forward + backward of mse(sigmoid(W @ X + b), Y): three matmuls, and
    the same gradients the engine returns (W, X, b and Y)."""
    import numpy as np

    Z = W @ X + b
    S = 1.0 / (1.0 + np.exp(-Z))
    L = np.mean((S - Y) ** 2)
    dS = 2.0 * (S - Y) / S.size
    dZ = dS * S * (1.0 - S)
    dW = dZ @ X.T
    dX = W.T @ dZ
    db = dZ.sum(axis=1, keepdims=True)
    dY = -dS  # Y is a variable of the expression, so the engine returns its gradient too
    return float(L), {"W": dW, "X": dX, "b": db, "Y": dY}


def _tensor_check(r, ref, values):
    import numpy as np

    L, grads = ref
    problems = []
    if not close(r.value, L, REL):
        problems.append(f"value: engine {r.value!r}, numpy {L!r}")
    for name, g in grads.items():
        e = r.gradients.get(name)
        if e is None:
            problems.append(f"no gradient for {name}")
            continue
        e = np.asarray(e, dtype=float)
        if e.shape != g.shape:
            problems.append(f"d/d{name}: shape {e.shape} vs {g.shape}")
        elif not np.allclose(e, g, rtol=REL, atol=REL * float(np.abs(g).max())):
            problems.append(f"d/d{name}: max |diff| {float(np.abs(e - g).max()):.3g} "
                            f"(max |grad| {float(np.abs(g).max()):.3g})")
    if problems:
        raise VerificationError("tensor case: " + " | ".join(problems))


def bench_tensor(runs: int, log=print) -> list[Outcome]:
    from app.engine import evaluate

    values = tensor_values()
    W, X, b, Y = values["W"], values["X"], values["b"], values["Y"]

    def engine():
        r = evaluate(TENSOR_EXPR, values)
        r.gradients  # noqa: B018
        return r

    def numpy_ref():
        return numpy_reference(W, X, b, Y)

    systems = {"engine": engine, "numpy": numpy_ref}
    warm = {k: timed(f) for k, f in systems.items()}
    _tensor_check(warm["engine"][1], warm["numpy"][1], values)
    del warm

    runs = max(runs, 15)  # cheap and noisy: a few more runs
    samples = {k: [] for k in systems}
    names = list(systems)
    for i in range(runs):
        for k in names[i % 2:] + names[: i % 2]:
            dt, res = timed(systems[k])
            samples[k].append(dt)
            del res

    med = {k: median_ms(v) for k, v in samples.items()}
    ratio = med["engine"] / med["numpy"]
    paired = sorted(e / m for e, m in zip(samples["engine"], samples["numpy"]))[runs // 2]
    ok = ratio <= TENSOR_TARGET
    line = (f"tensor 512x512 batch 512 ({TENSOR_EXPR}): engine {fmt_ms(med['engine'])} | numpy "
            f"{fmt_ms(med['numpy'])} | engine/numpy {ratio:.3f} (target ≤ {TENSOR_TARGET}) {verdict(ok)}")
    log(line)
    log(f"  medians of {runs} interleaved runs after a warm-up; value and gradients agree "
        f"(rel {REL:g}); paired median engine/numpy {paired:.3f}")
    for k in names:
        log(f"  {k:17s} {spread(samples[k])}")
    return [Outcome("tensor engine/numpy", line, ok, {"ms": med, "ratio": ratio})]


NAME = "engine"
DESCRIPTION = "engine speed: 10k-op scalar program vs micrograd and a linear tape; 512² tensor vs numpy"


def run(runs: int = 9, log=print) -> list[Outcome]:
    runs = max(7, runs)
    return bench_scalar(runs, log) + bench_tensor(runs, log)
