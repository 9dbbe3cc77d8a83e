"""Engine speed (issue 12, "faster than the tools it replaces"):

1. scalar: the deterministic staged scalar program with forks (bench/programs.py) at 1,000
   and 10,000 ops.
   engine    = `evaluate(text, values)` with its records materialised: the value, the
               gradients, the node and edge records and every trace step, i.e. everything
               the API serialises (parse + graph + forward + backward + trace + records),
               but not the JSON encoding. `evaluate` pauses the cyclic GC while it builds.
   micrograd = build + forward + backward of the same program with `micrograd.engine.Value`,
               with the cyclic GC paused too (`gc.disable()` around it): with the collector
               running, whether a full collection lands inside a run swings it 2×, so that
               is no usable baseline.
   tape      = a minimal hand-written linear tape (flat lists, a forward loop and a reverse
               loop): the pure-Python limit, for information.
   Target: engine / micrograd <= 3.0 at each size.
2. linearity: the engine's time per op at the largest staged program the default limits
   accept (app/engine/limits.py: max_chars, max_nodes; found by bisection on n_ops) against
   its time per op at 10,000 ops, measured interleaved in the same run.
   Target: per-op time at the limit <= 1.5 × per-op time at 10,000 ops.
3. tensor: `mse(sigmoid(W @ X + b), Y)` at 512x512, batch 512, against hand-written numpy
   forward + backward (three matmuls). Target: engine / numpy <= 1.2.

All systems are checked to agree (value and gradients, rel 1e-9) before anything is timed
(a VerificationError otherwise). Runs are interleaved round by round (so machine noise hits
every system alike) after one warm-up round, with garbage collected between runs (untimed);
medians are quoted.
"""

from __future__ import annotations

import gc
import math
import re

from bench import programs
from bench.common import (Outcome, VerificationError, close, fmt_ms, median_ms, spread, timed,
                          verdict)

SCALAR_TARGET = 3.0  # engine / micrograd (GC paused), at each size
LINEAR_TARGET = 1.5  # per-op time at the limit / per-op time at 10,000 ops
SCALAR_SIZES = (1_000, 10_000)
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
        if ge is None and gm == gt == 0 and not re.search(rf"\b{n}\b", prog.text):
            continue  # an input a small program never uses: the engine has no such variable
        if ge is None or not (close(ge, gm, REL, scale) and close(ge, gt, REL, scale)):
            bad.append(f"{n}: engine {ge!r}, micrograd {gm!r}, tape {gt!r}")
    if bad:
        problems.append(f"{len(bad)} of {len(prog.inputs)} input gradients differ, e.g. " + "; ".join(bad[:3]))
    if problems:
        raise VerificationError("scalar program: " + " | ".join(problems))


def largest_program(limits=None, suffix_chars=16) -> int:
    """The largest n_ops of the staged program whose text (plus a run's trailing comment of
    up to `suffix_chars`) and graph fit `limits`: bisection on n_ops (the program grows
    with n_ops: one generator, a longer tail)."""
    from app.engine import Limits
    from app.engine.parser import parse

    limits = limits or Limits()

    def fits(n):
        text = programs.scalar_program_ir(n).text
        return len(text) + suffix_chars <= limits.max_chars and \
            len(parse(text, Limits(max_chars=10**9, max_nodes=10**9))) <= limits.max_nodes

    lo, hi = 10_000, 40_000  # fits(lo), not fits(hi)
    assert fits(lo) and not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


class _Size:
    """One program size: the engine, micrograd with the GC paused and the tape, all checked
    to agree; `timed_baselines=False` times the engine alone."""

    def __init__(self, n_ops, runs, timed_baselines=True):
        from app.engine import evaluate

        self.prog = prog = programs.scalar_program_ir(n_ops)
        values = dict(prog.values)
        build = programs.micrograd_builder(prog)
        self.tape = Tape(prog)
        # Each run gets its own text (a trailing comment differs), so no cache keyed on the
        # expression can skip parsing: every run pays for all of it.
        texts = iter([f"{prog.text}# run {i}\n" for i in range(runs + 2)])

        def engine():
            r = evaluate(next(texts), values)
            _touch(r.steps)
            _touch(r.nodes)
            _touch(r.edges)
            r.gradients  # noqa: B018 (a lazy property would be paid here)
            return r

        def micrograd_gc_paused():
            gc.disable()
            try:
                out, xs = build(values)
                out.backward()
                return out, xs
            finally:
                gc.enable()

        self.all = {"engine": engine, "micrograd": micrograd_gc_paused,
                    "tape": lambda: tape_run(self.tape)}
        self.systems = self.all if timed_baselines else {"engine": engine}

    def check(self):
        """A warm-up round that also checks that every system computes the same thing."""
        warm = {k: timed(f) for k, f in self.all.items()}
        r = warm["engine"][1]
        _scalar_check(self.prog, self.tape, r, warm["micrograd"][1], warm["tape"][1])
        self.info = _scalar_graph_info(self.prog, r)


def bench_scalar(runs: int, log=print) -> list[Outcome]:
    n_limit = largest_program()
    sizes = {n: _Size(n, runs) for n in SCALAR_SIZES}
    sizes[n_limit] = _Size(n_limit, runs, timed_baselines=False)
    cells = [(n, k) for n, size in sizes.items() for k in size.systems]
    for size in sizes.values():
        size.check()

    samples = {c: [] for c in cells}
    for i in range(runs):
        for n, k in cells[i % len(cells):] + cells[: i % len(cells)]:  # rotate the order
            dt, res = timed(sizes[n].systems[k])
            samples[n, k].append(dt)
            del res
    gc.collect()
    med = {c: median_ms(v) for c, v in samples.items()}

    outcomes = []
    log(f"engine = evaluate() with value, gradients, nodes, edges and steps materialised "
        f"(no JSON); micrograd = build + forward + backward with the GC paused (gc.disable()), "
        f"as the engine pauses it; medians of {runs} interleaved runs after a warm-up round "
        f"that checks values and input gradients agree (rel {REL:g})")
    for n in SCALAR_SIZES:
        e, m, t = med[n, "engine"], med[n, "micrograd"], med[n, "tape"]
        ratio = e / m
        paired = sorted(a / b for a, b in zip(samples[n, "engine"],
                                              samples[n, "micrograd"]))[runs // 2]
        ok = ratio <= SCALAR_TARGET
        line = (f"scalar {n:,}-op: engine {fmt_ms(e)} | micrograd (GC paused) {fmt_ms(m)} | "
                f"engine/micrograd {ratio:.2f} (target ≤ {SCALAR_TARGET}) {verdict(ok)}")
        log(line)
        log(f"  {sizes[n].info}")
        log(f"  per op: engine {e * 1e3 / n:.2f} µs, micrograd {m * 1e3 / n:.2f} µs, tape "
            f"{t * 1e3 / n:.2f} µs (engine/tape {e / t:.0f}); paired median engine/micrograd "
            f"{paired:.2f}")
        for k in sizes[n].systems:
            log(f"  {k:10s} {spread(samples[n, k])}")
        outcomes.append(Outcome(f"scalar {n // 1000}k engine/micrograd", line, ok,
                                {"ms": {k: med[n, k] for k in sizes[n].systems},
                                 "ratio": ratio}))

    base = med[SCALAR_SIZES[-1], "engine"] / SCALAR_SIZES[-1]
    at_limit = med[n_limit, "engine"] / n_limit
    growth = at_limit / base
    ok = growth <= LINEAR_TARGET
    line = (f"linearity: engine per op {at_limit * 1e3:.2f} µs at {n_limit:,} ops (the largest "
            f"staged program within the limits) vs {base * 1e3:.2f} µs at "
            f"{SCALAR_SIZES[-1]:,}: {growth:.2f}× (target ≤ {LINEAR_TARGET}×) {verdict(ok)}")
    log(line)
    log(f"  {sizes[n_limit].info}; engine {fmt_ms(med[n_limit, 'engine'])}, "
        f"{spread(samples[n_limit, 'engine'])}")
    outcomes.append(Outcome("scalar engine linear up to the limits", line, ok,
                            {"n_ops": n_limit, "ms": med[n_limit, "engine"], "growth": growth}))
    return outcomes


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
DESCRIPTION = ("engine speed: 1k/10k-op scalar program vs micrograd (GC paused), linear up to "
               "the limits; 512² tensor vs numpy")


def run(runs: int = 9, log=print) -> list[Outcome]:
    runs = max(7, runs)
    return bench_scalar(runs, log) + bench_tensor(runs, log)
