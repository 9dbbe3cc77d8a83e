"""The `backprop-viz` command: the engine in a terminal (README "Command line").

    backprop-viz eval "(x+y)*z" x=-2 y=5 z=-4 [--steps] [--json] [--expand] ...
    backprop-viz gradcheck "(x+y)*z" x=-2 y=5 z=-4
    backprop-viz eval "x*x + x" x=3 --mistake overwrite_at_forks   (wrong beside right)
    backprop-viz ops
    backprop-viz serve [--host 127.0.0.1] [--port 8000] [--workers N] [--reload]

Values are `name=number` or `name=JSON` (nested lists for tensors), read with `json.loads`
and nothing else. Bad input is reported with its location and exit status 2, never with a
traceback. Messages follow `--lang`, or LANG when it is not given.
"""

import argparse
import itertools
import json
import math
import os
import sys
import unicodedata

import numpy as np
from pydantic import ValidationError

from app.api.encoding import dumps
from app.api.jobs import graph_json
from app.engine import MISTAKES, OPS, ExpressionError, evaluate, gradcheck
from app.engine.names import is_name
from app.engine.ops import BINARY, CONSTANTS
from app.engine.writing import derivative, gate_case, gate_sentence, is_atomic, render
from app.export_torch import ExportError, to_torch
from app.settings import get_settings

USAGE_ERROR = 2
INLINE_ELEMENTS = 25  # larger tensors print as their shape and range
ERROR_WINDOW = 100  # columns of a long expression line shown around an error

TEXT = {
    "en": {
        "error": "error", "id": "id", "name": "name", "op": "op", "shape": "shape",
        "value": "value", "grad": "gradient", "variable": "variable", "constant": "constant",
        "scalar": "scalar", "output": "output", "gradients": "gradients",
        "warning": "warning", "forward": "forward", "backward": "backward",
        "seed": "seed", "upstream": "upstream", "local": "local",
        "accumulated": "accumulated", "backprop": "backprop", "numeric": "numeric",
        "rel_error": "max rel. error", "checked": "checked",
        "max_rel_error": "max relative error",
        "cost": "cost: {evals} forward evaluations for the numeric check (eps {eps}) "
                "vs {passes} backward pass for backprop",
        "operators": "operators", "functions": "functions", "constants": "constants",
        "syntax": "syntax", "description": "description",
        "assignment": "expected NAME=VALUE, got {text}",
        "bad_name": "{text} is not a variable name",
        "twice": "{name} is given twice",
        "bad_value": "the value of {name} is not a number or a JSON list of numbers: {text} "
                     "(write {name}=3 or {name}='[[1, 2], [3, 4]]')",
        "non_finite": "the value of {name} must be finite",
        "no_uvicorn": "uvicorn is not installed",
        "mistake": "mistake", "right": "right", "right_grad": "right gradient",
        "right_backprop": "right backprop", "overwritten": "overwritten",
        "right_local": "right local",
    },
    "ko": {
        "error": "오류", "id": "id", "name": "이름", "op": "연산", "shape": "모양",
        "value": "값", "grad": "기울기", "variable": "변수", "constant": "상수",
        "scalar": "스칼라", "output": "출력", "gradients": "기울기",
        "warning": "경고", "forward": "순전파", "backward": "역전파",
        "seed": "시작 기울기", "upstream": "상위 기울기", "local": "지역 기울기",
        "accumulated": "누적", "backprop": "역전파", "numeric": "수치 미분",
        "rel_error": "최대 상대 오차", "checked": "검사",
        "max_rel_error": "최대 상대 오차",
        "cost": "비용: 수치 미분 검사는 순전파 {evals}회 (eps {eps}), "
                "역전파는 역방향 {passes}회",
        "operators": "연산자", "functions": "함수", "constants": "상수",
        "syntax": "문법", "description": "설명",
        "assignment": "NAME=VALUE 형식이어야 합니다: {text}",
        "bad_name": "{text}은(는) 변수 이름이 아닙니다",
        "twice": "{name}의 값이 두 번 주어졌습니다",
        "bad_value": "{name}의 값이 숫자나 숫자의 JSON 리스트가 아닙니다: {text} "
                     "({name}=3 또는 {name}='[[1, 2], [3, 4]]' 형식)",
        "non_finite": "{name}의 값은 유한한 수여야 합니다",
        "no_uvicorn": "uvicorn이 설치되어 있지 않습니다",
        "mistake": "실수", "right": "올바른 값", "right_grad": "올바른 기울기",
        "right_backprop": "올바른 역전파", "overwritten": "덮어씀",
        "right_local": "올바른 지역 기울기",
    },
}


class InputError(Exception):
    """Bad command-line input found before the engine sees it (a value, --output-grad)."""

    def __init__(self, key, **fields):
        super().__init__(key)
        self.key = key
        self.fields = fields

    def message(self, text):
        return text[self.key].format(**self.fields)


# ---------------------------------------------------------------- formatting (pure)

def fmt_number(x, precision=4):
    """`precision` significant digits; non-finite numbers as in the API's JSON."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"  # also -0.0, which would only confuse
    return f"{x:.{precision}g}"


def fmt_value(value, precision=4):
    """A number, a nested list for a small tensor, or `[2×512: min … max]` for a large one."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return fmt_number(value, precision)
    if value.size <= INLINE_ELEMENTS:
        return _nested(value, precision)
    present = value[~np.isnan(value)]
    span = (f"{fmt_number(present.min(), precision)} … {fmt_number(present.max(), precision)}"
            if present.size else "NaN")
    if present.size and present.size < value.size:
        span += ", NaN"
    return f"[{fmt_shape(value.shape)}: {span}]"


def _nested(a, precision):
    if a.ndim == 1:
        return "[" + ", ".join(fmt_number(x, precision) for x in a) + "]"
    return "[" + ", ".join(_nested(row, precision) for row in a) + "]"


def fmt_shape(shape, scalar="scalar"):
    return "×".join(str(n) for n in shape) if len(shape) else scalar


def display_width(s):
    """Terminal columns: wide East Asian characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _visible(ch):
    """One character as it can be shown on a line of its own (tabs, controls, zero-width)."""
    if ch == "\t":
        return " "
    return "?" if unicodedata.category(ch).startswith("C") else ch


def table(header, rows):
    """Left-aligned columns, two spaces apart, sized by display width."""
    widths = [max(display_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [str(c) + " " * (w - display_width(str(c))) for c, w in zip(row, widths)]
        lines.append("  ".join(cells).rstrip())
    return lines


def caret_lines(expression, start, end):
    """The line of `expression` holding `start`, and `^` under the span [start, end).

    An error at the end of input (start == end == len) points just after the last
    non-blank character. A long line is cut to a window around the error. Multi-line
    expressions get their line number in the margin.
    """
    start = min(max(start, 0), len(expression))
    if start == len(expression):
        start = end = len(expression.rstrip())
    line_start = expression.rfind("\n", 0, start) + 1
    line_end = expression.find("\n", start)
    line_end = len(expression) if line_end < 0 else line_end
    line = [_visible(ch) for ch in expression[line_start:line_end]]
    col = start - line_start
    count = max(1, min(end, line_end) - start)
    if len(line) > ERROR_WINDOW:
        lo = max(0, min(col - ERROR_WINDOW // 3, len(line) - ERROR_WINDOW))
        hi = lo + ERROR_WINDOW
        count = max(1, min(count, hi - col))
        line = (["…"] if lo else []) + line[lo:hi] + (["…"] if hi < len(line) else [])
        col -= lo - (1 if lo else 0)
    pad = display_width("".join(line[:col]))
    carets = "^" * max(1, display_width("".join(line[col:col + count])))
    if "\n" in expression:
        number = str(expression.count("\n", 0, line_start) + 1)
        margin = " " * len(number)
        return [f"{number} | {''.join(line)}".rstrip(), f"{margin} | {' ' * pad}{carets}"]
    return [f"  {''.join(line)}".rstrip(), f"  {' ' * pad}{carets}"]


def error_report(expression, error, lang):
    """The expression, carets under the error's span, and the message in `lang`."""
    text = TEXT[lang]
    msg = error.msg_ko if lang == "ko" else error.msg
    where = caret_lines(expression, error.start, error.end)
    if error.loc[:1] == ("values",) and len(error.loc) > 1:
        msg = f"{error.loc[1]}: {msg}"  # the variable whose value is wrong
        if error.start == error.end:
            where = []  # a value for a name the expression does not use: nothing to point at
    return [*where, f"{text['error']} [{error.type}]: {msg}"]


# ---------------------------------------------------------------- input

def parse_value(name, text):
    """A number or nested list from `text`, by `json.loads` only; finite, as the API wants."""
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    try:
        value = json.loads(text)  # NaN and Infinity parse, and are refused below
    except ValueError:
        raise InputError("bad_value", name=name, text=shown) from None
    if isinstance(value, bool) or not isinstance(value, (int, float, list)):
        raise InputError("bad_value", name=name, text=shown)
    try:
        finite = np.isfinite(np.asarray(value, dtype=float)).all()
    except OverflowError:
        finite = False
    except (ValueError, TypeError):
        return value  # ragged or non-numeric lists: the engine says what is wrong, and where
    if not finite:
        raise InputError("non_finite", name=name)
    return value


def parse_values(assignments):
    values = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise InputError("assignment", text=repr(item))
        if not is_name(name):  # the engine's one identifier rule (app/engine/names.py)
            raise InputError("bad_name", text=repr(name))
        if name in values:
            raise InputError("twice", name=name)
        values[name] = parse_value(name, text.strip())
    return values


# ---------------------------------------------------------------- eval

def _formula(node, by_id, show=lambda n: n["text"]):
    """The node's op over its inputs, as the page writes it (app/engine/writing.py)."""
    return render(OPS[node["op"]].written, [show(by_id[i]) for i in node["inputs"]])


def _partial(top, node):
    return f"∂{_wrap(top)}/∂{_wrap(node['text'])}"


def _wrap(text):
    return text if is_atomic(text) else f"({text})"


def node_table(result, precision, text):
    """One row per node; with a mistake, the right gradient beside the wrong one."""
    rows = []
    for node in result.nodes:
        if node["kind"] == "op":
            op = node["op"] if node["label"] == node["op"] else f"{node['op']} ({node['label']})"
            if node.get("block"):
                op += f" [{node['block']['op']}]"
        else:
            op = text[node["kind"]]
        name = node["name"] or (node["label"] if node["kind"] == "constant" else "")
        rows.append([node["id"], name, op, fmt_shape(node["shape"], text["scalar"]),
                     fmt_value(node["value"], precision), fmt_value(node["grad"], precision)])
        if "right_grad" in node:
            rows[-1].append(fmt_value(node["right_grad"], precision))
    keys = ("id", "name", "op", "shape", "value", "grad") + (
        ("right_grad",) if result.mistake else ())
    return table([text[k] for k in keys], rows)


def summary_lines(result, precision, text):
    out = _output_symbol(result)
    lines = [f"{text['output']} {out} = {fmt_value(result.value, precision)}"]
    if result.gradients:
        lines.append(f"{text['gradients']}:")
    right = result.right_gradients
    lines += [f"  ∂{out}/∂{name} = {fmt_value(g, precision)}" + (
        f"  ({text['right']}: {fmt_value(right[name], precision)})" if result.mistake else "")
              for name, g in result.gradients.items()]
    return lines


def mistake_lines(result, lang):
    """What was replayed: the mistake's title and description, in `lang`."""
    if result.mistake is None:
        return []
    m = MISTAKES[result.mistake["name"]]
    return [f"{TEXT[lang]['mistake']}: {m.title[lang]}", m.description[lang], ""]


def _output_symbol(result):
    node = next(n for n in reversed(result.nodes) if n["id"] == result.output)
    return node["name"] or "f"


def step_lines(result, precision, text, lang):
    """The chain-rule timeline: forward events, the seed, then per op node its edges, each
    with upstream × local, the local derivative written out and the gate's sentence."""
    by_id = {n["id"]: n for n in result.nodes}
    out = _output_symbol(result)
    output = {**by_id[result.output], "text": out}  # the output is called f, or its name
    by_id[result.output] = output
    lines = [f"{text['forward']}:"]
    target = None
    for step in result.steps:
        if step["kind"] == "node":
            node = by_id[step["node"]]
            lhs = f"{node['text']} = " if node["name"] or node is output else ""
            numbers = ""
            if not any(by_id[i]["shape"] for i in node["inputs"]) and not node["shape"]:
                numbers = " = " + _formula(node, by_id,
                                           lambda n: fmt_value(n["value"], precision))
            lines.append(f"  {lhs}{_formula(node, by_id)}{numbers} = "
                         f"{fmt_value(step['value'], precision)}")
        elif step["kind"] == "seed":
            lines += [f"{text['backward']}:",
                      f"  ∂{out}/∂{out} = {fmt_value(step['grad'], precision)}  ({text['seed']})"]
        elif by_id[step["source"]]["kind"] != "constant":  # a constant's gradient teaches nothing
            if step["target"] != target:
                target = step["target"]
                node = by_id[target]
                lhs = f"{node['text']} = " if node["name"] or node is output else ""
                lines.append(f"  {lhs}{_formula(node, by_id)}")
            lines += ["    " + _edge_line(step, by_id, out, precision, text),
                      *("      " + line for line in _local_lines(step, by_id, precision, lang))]
    return lines


def _edge_line(step, by_id, out, precision, text):
    """upstream × local = contribution (accumulated); a step where a replayed mistake
    happened says what the right rule gives (or, at an overwrite, what was thrown away)."""
    source = by_id[step["source"]]
    lhs = f"∂{out}/∂{_wrap(source['text'])} {'=' if 'overwritten' in step else '+='}"
    contribution = fmt_value(step["contribution"], precision)
    tail = f"  ({text['accumulated']} {fmt_value(step['accumulated'], precision)})"
    if "overwritten" in step:
        tail += f"  [{text['overwritten']} {fmt_value(step['overwritten'], precision)}]"
    if "right_local" in step:
        tail += f"  [{text['right_local']} {fmt_value(step['right_local'], precision)}]" \
            if not isinstance(step["right_local"], str) \
            else f"  [{text['right_local']} {step['right_local']}]"
    if "right_contribution" in step:
        tail += f"  [{text['right']} {fmt_value(step['right_contribution'], precision)}]"
    if isinstance(step["local"], str):  # a tensor edge: the rule and the shapes
        shapes = step["shapes"]
        return (f"{lhs} {step['local']}  [G {fmt_shape(shapes['upstream'], text['scalar'])}"
                f" → {source['text']} {fmt_shape(shapes['source'], text['scalar'])}]"
                f" = {contribution}{tail}")
    return (f"{lhs} {text['upstream']} × {text['local']} = "
            f"{fmt_value(step['upstream'], precision)} × {fmt_value(step['local'], precision)}"
            f" = {contribution}{tail}")


def _local_lines(step, by_id, precision, lang):
    """On a scalar edge, the local derivative from the op's registry entry, symbolic then
    with numbers (∂σ/∂u = σ·(1 − σ) = 0.7311·(1 − 0.7311) = 0.1966); then the gate's
    sentence where the tutorial names a pattern."""
    target, source = by_id[step["target"]], by_id[step["source"]]
    op = OPS[target["op"]]
    lines = []
    inputs = [by_id[i] for i in target["inputs"]]
    if not isinstance(step["local"], str):
        texts = [n["text"] for n in inputs]
        numbers = [fmt_value(n["value"], precision) for n in inputs]
        if "right_local" in step:  # output_for_input: the input written where y belongs
            symbolic = render(op.output_derivative[step["index"]], texts, texts[0])
            numeric = render(op.output_derivative[step["index"]], numbers, numbers[0])
        else:
            symbolic = derivative(op, step["index"], texts, op.label)
            numeric = derivative(op, step["index"], numbers, fmt_value(target["value"], precision))
        local = fmt_value(step["local"], precision)
        lines.append(" = ".join(dict.fromkeys(
            [f"∂{_wrap(target['text'])}/∂{_wrap(source['text'])}", symbolic, numeric, local])))
    broadcast = isinstance(step["local"], str) and \
        step["shapes"]["source"] != step["shapes"]["upstream"]
    case = gate_case(op, step["index"], step["local"], broadcast)
    if "right_contribution" in step:  # no_broadcast_sum: the sentence says the sum it skipped
        case = None
    if case:
        other = inputs[1 - step["index"]] if op.arity == 2 else None
        other_text = other and (other["text"] if other["shape"] or other["kind"] == "constant"
                                else f"{other['text']} = {fmt_value(other['value'], precision)}")
        lines.append(gate_sentence(op, case, lang, source["text"], other_text or ""))
    return lines


def warning_lines(result, lang):
    text = TEXT[lang]
    return [f"{text['warning']}: {w['node']}: {w['msg_ko'] if lang == 'ko' else w['msg']}"
            for w in result.warnings]


def run_eval(args, lang):
    text = TEXT[lang]
    settings = get_settings()
    values = parse_values(args.values)
    output_grad = _output_grad(args)
    result = evaluate(args.expression, values, output_grad=output_grad, expand=args.expand,
                      limits=settings.limits(), mistake=args.mistake)
    if args.json:
        _write(graph_json(args.expression, result, settings.max_tensor_elements).decode())
        return 0
    lines = [*mistake_lines(result, lang), *node_table(result, args.precision, text)]
    if args.steps:
        lines += ["", *step_lines(result, args.precision, text, lang)]
    lines += ["", *summary_lines(result, args.precision, text)]
    _write("\n".join(lines))
    for line in warning_lines(result, lang):
        print(line, file=sys.stderr)
    return 0


def _output_grad(args):
    return None if args.output_grad is None else parse_value("--output-grad", args.output_grad)


# ---------------------------------------------------------------- gradcheck

def gradcheck_lines(report, precision, text):
    """One row per variable; with a mistake, the right backprop gradient beside the wrong."""
    wrong = "mistake" in report
    rows = [[name, fmt_value(v["backprop"], precision), fmt_value(v["numeric"], precision),
             fmt_number(v["max_rel_error"], precision), f"{v['checked']}/{v['elements']}",
             *([fmt_value(v["right_backprop"], precision)] if wrong else [])]
            for name, v in report["variables"].items()]
    header = [text["variable"], text["backprop"], text["numeric"], text["rel_error"],
              text["checked"], *([text["right_backprop"]] if wrong else [])]
    head = [f"{text['mistake']}: {report['mistake']}", ""] if wrong else []
    return [*head, *table(header, rows), "",
            f"{text['max_rel_error']}: {fmt_number(report['max_rel_error'], precision)}",
            text["cost"].format(evals=report["forward_evals"], eps=report["eps"],
                                passes=report["backward_passes"])]


def run_gradcheck(args, lang):
    text = TEXT[lang]
    settings = get_settings()
    values = parse_values(args.values)
    report = gradcheck(args.expression, values, eps=args.eps, output_grad=_output_grad(args),
                       expand=args.expand, limits=settings.limits(), mistake=args.mistake)
    if args.json:
        _write(dumps(report, settings.max_tensor_elements).decode())
    else:
        _write("\n".join(gradcheck_lines(report, args.precision, text)))
    return 0


# ---------------------------------------------------------------- export

def run_export(args, lang):
    """Print a runnable PyTorch script of the expression with the same values (app/export_torch.py)."""
    try:
        script = to_torch(args.expression, parse_values(args.values), _output_grad(args),
                          get_settings().limits())
    except ExportError as error:
        print(f"{TEXT[lang]['error']}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(script)
    return 0


# ---------------------------------------------------------------- ops, serve

def ops_lines(lang):
    text = TEXT[lang]
    lines = []
    for kind in ("operator", "function"):
        rows = []
        for op in OPS.values():
            if op.kind != kind:
                continue
            aliases = [f"a {s} b" for s, o in BINARY.items() if o is op and s not in op.syntax]
            rows.append([" | ".join([op.syntax, *aliases]), op.ko if lang == "ko" else op.en])
        lines += [f"{text[kind + 's']}:", *("  " + line for line in table(
            [text["syntax"], text["description"]], rows)), ""]
    lines.append(f"{text['constants']}: " + ", ".join(
        f"{name} = {fmt_number(value, 6)}" for name, (value, _label) in CONSTANTS.items()))
    return lines


def run_ops(args, lang):
    _write("\n".join(ops_lines(lang)))
    return 0


def run_serve(args, lang):
    text = TEXT[lang]
    try:
        import uvicorn
    except ImportError:
        print(f"{text['error']}: {text['no_uvicorn']}", file=sys.stderr)
        return 1
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers,
                reload=args.reload)
    return 0


# ---------------------------------------------------------------- main

def _write(s):
    sys.stdout.write(s + "\n")


def default_lang():
    return "ko" if os.environ.get("LANG", "").lower().startswith("ko") else "en"


def _precision(s):
    n = int(s)
    if not 1 <= n <= 17:
        raise argparse.ArgumentTypeError("must be between 1 and 17")
    return n


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=("ko", "en"),
                        help="messages in Korean or English (default: from LANG)")
    expression = argparse.ArgumentParser(add_help=False, parents=[common])
    expression.add_argument("expression", help='e.g. "(x+y)*z" or "q = x + y; f = q * z"')
    expression.add_argument("values", nargs="*", metavar="NAME=VALUE",
                            help="a number, or JSON for a tensor: W='[[1,2],[3,4]]'")
    expression.add_argument("--output-grad", metavar="VALUE",
                            help="seed of the backward pass, a number or JSON (default 1)")
    expression.add_argument("--expand", action="store_true",
                            help="expand composite functions into their primitive ops")
    expression.add_argument("--precision", type=_precision, default=4, metavar="N",
                            help="significant digits (default 4)")
    expression.add_argument("--json", action="store_true", help="print the API's JSON")
    expression.add_argument("--mistake", choices=list(MISTAKES), default=None,
                            help="replay the backward pass with one classic mistake: the "
                                 "wrong gradients, with the right ones beside them")

    parser = argparse.ArgumentParser(
        prog="backprop-viz", description="Backprop Visualizer: see backpropagation.",
        epilog="An expression may start with '-': backprop-viz eval '-x**2' x=3")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    ev = commands.add_parser("eval", parents=[expression],
                             help="values and gradients of every node")
    ev.add_argument("--steps", action="store_true", help="print the chain-rule timeline")
    ev.set_defaults(run=run_eval)
    gc = commands.add_parser("gradcheck", parents=[expression],
                             help="backprop vs numeric (central difference) gradients")
    gc.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    gc.set_defaults(run=run_gradcheck)
    export = commands.add_parser("export", parents=[common],
                                 help="the same expression as a runnable PyTorch script")
    export.add_argument("expression", help='e.g. "(x+y)*z"')
    export.add_argument("values", nargs="*", metavar="NAME=VALUE",
                        help="a number, or JSON for a tensor: W='[[1,2],[3,4]]'")
    export.add_argument("--to", choices=("torch",), default="torch", help="the framework (torch)")
    export.add_argument("--output-grad", metavar="VALUE",
                        help="seed of the backward pass, a number or JSON (default 1)")
    export.set_defaults(run=run_export)
    ops = commands.add_parser("ops", parents=[common], help="list functions and operators")
    ops.set_defaults(run=run_ops)
    serve = commands.add_parser("serve", parents=[common], help="start the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None, metavar="N")
    serve.add_argument("--reload", action="store_true")
    serve.set_defaults(run=run_serve)
    return parser


def expression_first(argv, parser):
    """`eval '-x**2' x=3`: argparse takes an argument starting with '-' for an option, so an
    expression that starts with one is moved after a `--` (with the values), and the
    options stay before it. Unchanged when `--` is already there, or for other commands."""
    if len(argv) < 2 or argv[0] not in ("eval", "gradcheck", "export") or "--" in argv:
        return argv
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    takes_value = {}
    for action in sub.choices[argv[0]]._actions:
        for option in action.option_strings:
            takes_value[option] = action.nargs != 0
    options, positionals, rest = [], [], iter(argv[1:])
    for arg in rest:
        name = arg.split("=", 1)[0]
        if arg.startswith("--") or name in takes_value:
            matches = [o for o in takes_value if o == name] or \
                [o for o in takes_value if o.startswith(name) and o.startswith("--")]
            options.append(arg)
            if len(matches) == 1 and takes_value[matches[0]] and "=" not in arg:
                options.extend(itertools.islice(rest, 1))  # the option's value, if any
        else:
            positionals.append(arg)  # the expression (perhaps '-x**2') and NAME=VALUE
    if not any(p.startswith("-") for p in positionals):
        return argv
    return [argv[0], *options, "--", *positionals]


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):  # ∂ and Korean on a terminal that lacks them
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = build_parser()
    try:
        args = parser.parse_args(expression_first(sys.argv[1:] if argv is None else list(argv),
                                                  parser))
    except SystemExit as exit:  # --help (0) and usage errors (2)
        return exit.code if isinstance(exit.code, int) else USAGE_ERROR
    lang = args.lang or default_lang()
    text = TEXT[lang]
    try:
        return args.run(args, lang)
    except ExpressionError as error:
        print("\n".join(error_report(args.expression, error, lang)), file=sys.stderr)
    except InputError as error:
        print(f"{text['error']}: {error.message(text)}", file=sys.stderr)
    except ValidationError as error:  # a malformed BPV_* environment variable
        print(f"{text['error']}: {error}", file=sys.stderr)
    except BrokenPipeError:  # `backprop-viz eval ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
