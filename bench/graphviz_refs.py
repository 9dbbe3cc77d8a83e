"""The graphviz drawings the page is compared with (bench/page_bench.py):

* micrograd's `draw_dot`, as in micrograd's own trace_graph notebook: one `record` node per
  Value ("{ data %.4f | grad %.4f }"), one node per op with an edge op -> value, and an edge
  per child -> the parent's op node; `rankdir=LR`; rendered with `dot.pipe(format="svg")`,
  i.e. Debian's /usr/bin/dot.
* torchviz's `make_dot(loss, params=...)` of mse(sigmoid(W @ X + b), Y) in float64 torch
  tensors, rendered the same way. torch lives in .venv-torch only, so this runs in a
  long-lived child process (TorchWorker) that the benchmark asks for one timed run at a time,
  which keeps it interleaved with the page's runs without paying torch's import each time.

Each `*_missing()` returns why a comparison cannot run (None when it can), so the benchmark
can skip it cleanly: a user of the app never needs any of these tools.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_PYTHON = ROOT / ".venv-torch" / "bin" / "python"


# --- micrograd + graphviz ----------------------------------------------------------------------

def micrograd_missing() -> str | None:
    if shutil.which("dot") is None:
        return "no graphviz `dot` on PATH (make bench installs Debian's graphviz)"
    for module in ("graphviz", "micrograd"):
        if importlib.util.find_spec(module) is None:
            return f"no Python module {module!r} in this venv (make bench installs it)"
    return None


def trace(root):
    """micrograd's trace: every Value reachable from root, and (child, parent) edges."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    """micrograd's draw_dot (trace_graph notebook), SVG output, left to right."""
    from graphviz import Digraph

    nodes, edges = trace(root)
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ data %.4f | grad %.4f }" % (n.data, n.grad), shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def micrograd_drawing(build, values):
    """The timed reference: build + forward (micrograd is eager), backward, draw_dot, dot to
    SVG. Returns (out, inputs, svg bytes, drawn node count)."""
    out, xs = build(values)
    out.backward()
    dot = draw_dot(out)
    svg = dot.pipe(format="svg")
    return out, xs, svg, svg.count(b'class="node"')


# --- torch + torchviz (in .venv-torch) ---------------------------------------------------------

# Runs in .venv-torch. Reads one JSON command per line, answers one JSON line:
#   {"values": {...}}  -> the verification run: loss, gradients, drawn node count
#   {"time": true}     -> one timed run: ms (tensors from the values, forward, backward,
#                         make_dot, pipe to SVG), after an untimed gc.collect()
_TORCH_WORKER = r"""
import gc, json, sys, time
import torch
import torchviz

torch.set_num_threads(1)  # 4x3 tensors: threads only add overhead on a shared 2-core box
values = None

def once():
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    loss = torch.nn.functional.mse_loss(torch.sigmoid(t["W"] @ t["X"] + t["b"]), t["Y"])
    loss.backward()
    svg = torchviz.make_dot(loss, params=t).pipe(format="svg")
    return loss, t, svg

for line in sys.stdin:
    cmd = json.loads(line)
    if "values" in cmd:
        values = cmd["values"]
        loss, t, svg = once()
        answer = {"loss": loss.item(), "grads": {k: v.grad.tolist() for k, v in t.items()},
                  "drawn": svg.count(b'class="node"'), "torch": torch.__version__,
                  "torchviz": getattr(torchviz, "__version__", "?")}
    else:
        gc.collect()
        t0 = time.perf_counter()
        once()
        answer = {"ms": (time.perf_counter() - t0) * 1e3}
    print(json.dumps(answer), flush=True)
"""


def torch_missing() -> str | None:
    if shutil.which("dot") is None:
        return "no graphviz `dot` on PATH (make bench installs Debian's graphviz)"
    if not TORCH_PYTHON.exists():
        return f"no {TORCH_PYTHON.relative_to(ROOT)} (make torch creates it)"
    probe = subprocess.run([str(TORCH_PYTHON), "-c", "import torch, torchviz, graphviz"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"torch/torchviz/graphviz not importable in .venv-torch: {last}"
    return None


class TorchWorker:
    """`with TorchWorker(values) as w: w.check; w.time_ms()` (a child process in .venv-torch)."""

    def __init__(self, values: dict):
        self.values = values
        self.proc = None
        self.check = None

    def __enter__(self):
        self.proc = subprocess.Popen([str(TORCH_PYTHON), "-c", _TORCH_WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        try:
            self.check = self._ask({"values": self.values})
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _ask(self, cmd: dict) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the torch worker died (exit status {self.proc.wait()})")
        return json.loads(line)

    def time_ms(self) -> float:
        return self._ask({"time": True})["ms"]

    def __exit__(self, *exc):
        self.proc.stdin.close()  # the worker's loop ends at EOF
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
