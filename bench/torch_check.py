"""Check "Export as PyTorch" against the engine: `python -m bench.torch_check [--python PATH]`.

Exports every preset of app/examples.py (and a few cases that reach every op and the
export's special paths: a varying exponent of a negative base, ties, renamed names...) with
`app.export_torch.to_torch`, runs each script with the given Python (default: this one),
reads what it prints and compares the output and every gradient with `app.engine.evaluate`.
Prints a table (case, max relative error, ok) and exits 1 on a mismatch, 0 when all agree or
when that Python cannot import torch ("torch not importable: skipped").
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

from app.engine import evaluate
from app.examples import EXAMPLES
from app.export_torch import to_torch

TOLERANCE = 1e-9

# Beyond the presets: every op and every special path of the export, with values where the
# engine's conventions matter (ties, zeros, negative bases, broadcasting, samples as columns).
EXTRA = [
    ("ops-scalar", "q = sqrt(abs(a)) + cos(a) * sin(b) - relu(b) / min(a, b)\n"
                   "r = q ** 2 + 2 ** a + e ** b - pi * tanh(a)\nr * exp(-b)",
     {"a": -0.7, "b": 1.3}, None),
    ("pow-negative-base", "f = a ** b", {"a": -2.0, "b": 3.0}, None),
    ("pow-zero-base", "f = a ** b + c ** d", {"a": 0.0, "b": 2.0, "c": 1.5, "d": 0.0}, None),
    ("pow-tensor-exponent", "sum(A ** B)", {"A": [[-1.5, 2.0], [0.5, -3.0]], "B": [2.0, 3.0]},
     None),
    ("max-min-tie", "max(a, b) + min(a, b) * 3 + max(M, 1) @ N",
     {"a": 2.0, "b": 2.0, "M": [[1.0, 0.5], [2.0, 1.0]], "N": [1.0, -1.0]}, None),
    ("relu-abs-zero", "relu(a) + abs(a) + sum(relu(V) * abs(V))",
     {"a": 0.0, "V": [0.0, -1.0, 2.0]}, None),
    ("dot-transpose", "d = dot(v, w) + dot(2, v) @ w\nm = transpose(M) @ M\n"
                      "sum(m) * d + sum(transpose(v) * w)",
     {"v": [1.0, -2.0], "w": [0.5, 3.0], "M": [[1.0, 2.0, 0.5], [-1.0, 0.0, 1.0]]}, None),
    ("softmax-ce", "P = softmax(Z)\nc = cross_entropy(P, Y) + cross_entropy(p, y)\n"
                   "c + softmax_cross_entropy(Z, Y) + mean(softmax(z))",
     {"Z": [[1.0, -1.0, 0.5], [0.0, 2.0, -0.5]], "Y": [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
      "p": [0.2, 0.8], "y": [0.0, 1.0], "z": [3.0, 1.0, -2.0]}, None),
    ("scalar-softmax", "softmax(s) * t + softmax_cross_entropy(s, t) + cross_entropy(s, t)",
     {"s": 0.3, "t": 0.6}, None),
    ("mse-broadcast", "mse(R, C) + mse(R, 2)", {"R": [[1.0, 2.0, 3.0]], "C": [[0.5], [1.5]]},
     None),
    ("constants-only", "k = 2 * 3\nm = 1 / 0 + 10 ** 400\nk * x + exp(1) * x - m * 0",
     {"x": 1.5}, None),
    ("tensor-seed", "W @ v", {"W": [[1.0, 2.0], [3.0, 4.0]], "v": [1.0, -1.0]}, [2.0, -0.5]),
    ("tensor-no-seed", "Q = A * B", {"A": [[1.0, 2.0]], "B": [[3.0], [4.0]]}, None),
    ("names", "lambda = θ * 가중치\nprint = lambda + out\nprint * torch", 
     {"θ": 2.0, "가중치": -3.0, "out": 0.5, "torch": 4.0}, None),
    ("unused-variable", "q = x * 2\ny + 1", {"x": 3.0, "y": 4.0}, None),
    ("split-into-steps", " + ".join(f"x * {k}" for k in range(300)) + " + " + "sin(" * 120
     + "x" + ")" * 120, {"x": 0.3}, None),
]


def cases():
    """(label, expression, values, output_grad): every preset, then EXTRA."""
    for ex in EXAMPLES:
        yield ex["id"], ex["expression"], ex["values"], ex.get("output_grad")
    for label, expression, values, output_grad in EXTRA:
        yield "extra:" + label, expression, values, output_grad


def read_output(text):
    """What an exported script printed: (output value, {variable: gradient})."""
    value, grads = None, {}
    for line in text.splitlines():
        name, sep, number = line.partition(" = ")
        if not sep:
            continue
        number = json.loads(re.sub(r"-?\binf\b|\bnan\b", lambda m: {
            "inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}[m[0]], number))
        if name.endswith(".grad"):
            grads[name[:-len(".grad")]] = number
        else:
            value = number
    return value, grads


def rel_error(a, b):
    """max |a - b| / max(|a|, |b|, 1e-8) over the elements, the engine's gradcheck measure;
    0 where both are the same non-finite number, inf where only one is non-finite."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return math.inf
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(all="ignore"):
        err = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)
    err = np.where(same, 0.0, np.where(np.isnan(err), np.inf, err))  # inf vs a number: inf
    return float(np.max(err, initial=0.0))


# Runs each script given on its command line as __main__, its stdout captured, and prints
# the results as JSON: one subprocess for all of them, so torch (seconds to import) loads once.
_DRIVER = """
import contextlib, io, json, runpy, sys
results = []
for path in sys.argv[1:]:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        results.append([out.getvalue(), None])
    except Exception as e:
        results.append([None, type(e).__name__ + ": " + str(e)])
sys.stdout.write(json.dumps(results))
"""


def run_scripts(scripts, python):
    """Run each script with `python` in one subprocess: [(stdout, None) or (None, error)]."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, script in enumerate(scripts):
            paths.append(os.path.join(tmp, f"export_{k}.py"))
            with open(paths[-1], "w", encoding="utf-8") as f:
                f.write(script)
        done = subprocess.run([python, "-c", _DRIVER, *paths], capture_output=True,
                              encoding="utf-8", timeout=600)
    if done.returncode:
        raise RuntimeError(done.stderr.strip()[-500:] or "the scripts' Python failed")
    return [tuple(result) for result in json.loads(done.stdout)]


def max_error(result, printed):
    """The largest relative error between what a script printed and the engine's Result."""
    value, grads = read_output(printed)
    if set(grads) != set(result.gradients):
        return math.inf
    errors = [rel_error(value, result.value)]
    errors += [rel_error(grads[name], g) for name, g in result.gradients.items()]
    return max(errors)


def check_all(python):
    """[(label, max relative error, problem or None)], one per case."""
    labels, results, scripts = [], [], []
    for label, expression, values, output_grad in cases():
        labels.append(label)
        results.append(evaluate(expression, values, output_grad=output_grad))
        scripts.append(to_torch(expression, values, output_grad))
    return [(label, math.inf, problem) if problem else (label, max_error(result, out), None)
            for label, result, (out, problem) in zip(labels, results, run_scripts(scripts, python))]


def torch_importable(python):
    try:
        return subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0
    except OSError:  # no such Python
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.torch_check", description=__doc__)
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that runs the scripts (default: this one)")
    args = parser.parse_args(argv)
    if not torch_importable(args.python):
        print(f"torch not importable with {args.python}: skipped")
        return 0
    failed = 0
    print(f"{'case':<28} {'max rel error':>14}  ok")
    for label, error, problem in check_all(args.python):
        ok = error <= TOLERANCE
        failed += not ok
        print(f"{label:<28} {error:14.2e}  {'ok' if ok else 'MISMATCH'}  {problem or ''}".rstrip())
    print(f"{failed} mismatch(es)" if failed else "all agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
