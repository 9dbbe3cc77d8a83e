"""Regenerate the JavaScript test fixtures (tests/js/fixtures/*.json) from today's engine.

    .venv/bin/python scripts/make_fixtures.py           # rewrite every fixture
    .venv/bin/python scripts/make_fixtures.py --check   # exit 1 if any is stale

Each graph fixture is exactly what `POST /api/graph` answers for the request listed below:
the engine's `evaluate`, encoded by the app's own encoder (`app.api.encoding.dumps_graph`,
with the default `max_tensor_elements`), so NaN/Infinity strings and tensor summaries are
the page's. `ops.json` is `GET /api/ops`'s list, wrapped as `{"ops": [...]}`.
tests/unit/test_fixtures_fresh.py fails when a committed fixture differs from this output.

The fixtures (expression, values; options):

| file | expression | values | options | what the JS tests use it for |
|---|---|---|---|---|
| add-upstream | `x + y` | x=-2, y=5 | output_grad=-4 | a seed other than 1 |
| chain-rule | `(x+y)*z` | x=-2, y=5, z=-4 | | the tutorial's first example |
| dead-node | `a = x*2` / `y + 1` | x=1, y=2 | | a node the output does not use |
| fork | `q = x*y` / `f = q + q*x` | x=3, y=-2 | | a fork: contributions summed |
| layout-square-fork | `q = x*y` / `f = q*q + x*x + sigmoid(q)` | x=3, y=-2 | expand | layout of squares and forks |
| layout-staged-230 | `bench.programs.scalar_program(230, 4)` | its values | steps dropped | layout of a 325-node graph |
| matmul | `W @ X` | W 2×3, X 3×4 (below) | output_grad 2×4 | tensor edges, rule text |
| max-gate | `max(x, y) * z` | x=4, y=2, z=-1 | | the max gate's routing |
| nan | `x*log(x)` | x=0 | | non-finite values, warnings |
| sigmoid-expanded | `sigmoid(w0*x0 + w1*x1 + w2)` | w0=2, x0=-1, w1=-3, x1=-2, w2=-3 | expand | the neuron of the tutorial |
| sum-square | `b = sum(x)` / `b*b` | x=[1, 2] | | a tensor edge into a scalar |
| summary | `W @ X` | W[i][j]=(i+j)/100, X=0.5, both 80×80 | | tensors summarised (> 4096) |
| presets | every preset of app/examples.py, as it comes and with expand | | structure only | layout of every preset: blocks, labels |
| ops | GET /api/ops | | | op labels, rules, gates |
| writing | the engine's `render` | every op node above; every op's templates | | the page writes as the engine does |
"""

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from app.api.encoding import dumps_graph  # noqa: E402
from app.engine import evaluate  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.programs import scalar_program  # noqa: E402

FIXTURES = ROOT / "tests" / "js" / "fixtures"
SCRIPT = "scripts/make_fixtures.py"

_STAGED_TEXT, _STAGED_VALUES = scalar_program(230, 4)

# name -> the /api/graph request (plus "steps": False to keep a layout fixture small)
GRAPHS = {
    "add-upstream": {"expression": "x + y", "values": {"x": -2, "y": 5}, "output_grad": -4},
    "chain-rule": {"expression": "(x+y)*z", "values": {"x": -2, "y": 5, "z": -4}},
    "dead-node": {"expression": "a = x*2\ny + 1", "values": {"x": 1, "y": 2}},
    "fork": {"expression": "q = x*y\nf = q + q*x", "values": {"x": 3, "y": -2}},
    "layout-square-fork": {"expression": "q = x*y\nf = q*q + x*x + sigmoid(q)",
                           "values": {"x": 3, "y": -2}, "expand": True},
    "layout-staged-230": {"expression": _STAGED_TEXT, "values": _STAGED_VALUES,
                          "steps": False},
    "matmul": {"expression": "W @ X",
               "values": {"W": [[1, 2, 3], [4, 5, 6]],
                          "X": [[1, 0, 2, 1], [0, 1, 1, 0], [1, 1, 0, 2]]},
               "output_grad": [[1, 0, 0, 1], [0, 1, -1, 0]]},
    "max-gate": {"expression": "max(x, y) * z", "values": {"x": 4, "y": 2, "z": -1}},
    "nan": {"expression": "x*log(x)", "values": {"x": 0}},
    "sigmoid-expanded": {"expression": "sigmoid(w0*x0 + w1*x1 + w2)",
                         "values": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
                         "expand": True},
    "sum-square": {"expression": "b = sum(x)\nb*b", "values": {"x": [1, 2]}},
    "summary": {"expression": "W @ X",
                "values": {"W": [[(i + j) / 100 for j in range(80)] for i in range(80)],
                           "X": [[0.5] * 80 for _ in range(80)]}},
}


def graph_fixture(request, max_tensor_elements=None):
    """What POST /api/graph answers for `request`, as parsed JSON."""
    limit = max_tensor_elements or Settings().max_tensor_elements
    result = evaluate(request["expression"], request["values"], request.get("output_grad"),
                      request.get("expand", False))
    body = json.loads(dumps_graph(request["expression"], result, limit))
    if request.get("steps", True) is False:
        del body["steps"]
    return body


def ops_fixture():
    from app.api.routes import _ops_json  # the exact bytes GET /api/ops sends
    return {"ops": orjson.loads(_ops_json())}


def writing_fixture(graphs):
    """Templates rendered by the engine (app/engine/writing.py), for the page's writing.js
    to render the same: each op node of the graph fixtures over its inputs' texts and
    numbers, and every op's templates over names, numbers and negative numbers."""
    from app.engine.ops import OPS
    from app.engine.writing import render
    cases = []

    def case(template, parts, y=""):
        cases.append({"template": template, "parts": parts, "y": y,
                      "expected": render(template, parts, y)})

    for graph in graphs:
        nodes = {n["id"]: n for n in graph["nodes"]}
        for n in graph["nodes"]:
            if n["kind"] == "op":
                case(OPS[n["op"]].written, [nodes[i]["text"] for i in n["inputs"]])
    for op in OPS.values():
        for parts, y in [(["x", "y"], op.label), (["x + y", "−z"], op.label),
                         (["−2", "0.5"], "0.25"), (["1e-05", "−3.5"], "−1")]:
            for template in (op.written, *op.derivative):
                case(template, parts[:op.arity], y)
    return {"cases": cases}


def presets_fixture():
    """Every preset's graph as it comes and expanded ("id+expand"), structure only: what the
    layout reads (ids, kinds, ops, labels, names, inputs, shapes, blocks; edges)."""
    from app.examples import EXAMPLES
    keep = ("id", "kind", "op", "label", "name", "inputs", "shape", "block")
    graphs = {}
    for ex in EXAMPLES:
        for expand in (False, True):
            if expand and ex.get("expand"):
                continue
            request = {"expression": ex["expression"], "values": ex["values"],
                       "output_grad": ex.get("output_grad"), "expand": expand or ex.get("expand", False)}
            body = graph_fixture(request)
            graphs[ex["id"] + ("+expand" if expand else "")] = {
                "nodes": [{k: n[k] for k in keep if n.get(k) is not None} for n in body["nodes"]],
                "edges": [{k: e[k] for k in ("id", "source", "target", "index")} for e in body["edges"]],
            }
    return {"about": "The graph of every preset (app/examples.py) as POST /api/graph answers it, "
                     "as it comes and with expand, structure only.", "graphs": graphs}


def build_all():
    """{file name: parsed JSON} of every fixture, from today's engine."""
    out = {f"{name}.json": graph_fixture(request) for name, request in GRAPHS.items()}
    out["presets.json"] = presets_fixture()
    out["ops.json"] = ops_fixture()
    out["writing.json"] = writing_fixture([out[f"{name}.json"] for name in GRAPHS])
    return out


def text(obj):
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def same(a, b, rel=1e-12):
    """Equal JSON, floats within `rel` (BLAS may sum a matrix product in another order)."""
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def stale(fixtures=None):
    """Names of committed fixtures that differ from (or are missing in) today's output."""
    fixtures = fixtures or build_all()
    bad = []
    for name, body in fixtures.items():
        path = FIXTURES / name
        if not path.exists() or not same(json.loads(path.read_text("utf-8")), body):
            bad.append(name)
    return bad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale fixtures")
    args = parser.parse_args(argv)
    fixtures = build_all()
    if args.check:
        bad = stale(fixtures)
        for name in bad:
            print(f"stale: tests/js/fixtures/{name}")
        return 1 if bad else 0
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, body in fixtures.items():
        (FIXTURES / name).write_text(text(body), "utf-8")
        print(f"wrote tests/js/fixtures/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
