"""The `backprop-viz` command, run through `main([...])` and once as the real console script.

Golden values are the tutorial's: (x+y)*z at x=-2, y=5, z=-4 gives -12 with gradients
-4, -4, 3 (CS231n "Backpropagation, Intuitions").
"""

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from app.api.encoding import dumps_graph
from app.cli import caret_lines, fmt_number, main
from clikit import run
from app.engine import ExpressionError, evaluate
from app.settings import get_settings

CHAIN = ["(x+y)*z", "x=-2", "y=5", "z=-4"]


def table_row(out, node_id):
    for line in out.splitlines():
        cells = line.split()
        if cells and cells[0] == node_id:
            return cells
    raise AssertionError(f"no row for {node_id} in:\n{out}")


def caret_column(err, expression):
    """The column under `expression` where the carets start, and how many there are."""
    lines = err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(expression))
    offset = lines[at].index(expression)
    carets = lines[at + 1]
    start = carets.index("^")
    return start - offset, len(carets.strip())


# ---------------------------------------------------------------- eval


def test_tutorial_example_table_shows_minus_12_and_gradients_minus_4_minus_4_3(capsys):
    status, out, _ = run(capsys, "eval", *CHAIN)
    assert status == 0
    header = out.splitlines()[0].split()
    assert header == ["id", "name", "op", "shape", "value", "gradient"]
    # id name op shape value gradient; the variables carry their gradients
    assert table_row(out, "n0") == ["n0", "x", "variable", "scalar", "-2", "-4"]
    assert table_row(out, "n1") == ["n1", "y", "variable", "scalar", "5", "-4"]
    assert table_row(out, "n3") == ["n3", "z", "variable", "scalar", "-4", "3"]
    assert table_row(out, "n2")[-2:] == ["3", "-4"]  # q = x + y, df/dq = z
    assert table_row(out, "n4")[-2:] == ["-12", "1"]
    assert "output f = -12" in out
    for line in ("∂f/∂x = -4", "∂f/∂y = -4", "∂f/∂z = 3"):
        assert line in out


def test_json_output_is_the_api_graph_response(capsys):
    status, out, _ = run(capsys, "eval", *CHAIN, "--json")
    assert status == 0
    payload = json.loads(out)
    result = evaluate("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    expected = json.loads(dumps_graph("(x+y)*z", result, get_settings().max_tensor_elements))
    assert payload == expected
    assert payload["value"] == -12.0
    assert payload["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_json_output_encodes_non_finite_numbers_as_strings(capsys):
    status, out, _ = run(capsys, "eval", "log(x)", "x=0", "--json")
    assert status == 0
    payload = json.loads(out)
    assert payload["value"] == "-Infinity"
    assert payload["gradients"] == {"x": "Infinity"}


def test_steps_show_forward_events_seed_and_multiply_gate_local_derivatives(capsys):
    status, out, _ = run(capsys, "eval", *CHAIN, "--steps")
    assert status == 0
    assert "  x + y = -2 + 5 = 3" in out  # nodes are named by their own source text
    assert "  f = (x+y) × z = 3 × (-4) = -12" in out
    assert "∂f/∂f = 1" in out
    # multiply gate: the local gradient of each input is the other input (z = -4, q = 3)
    assert "∂f/∂(x+y) += upstream × local = 1 × -4 = -4  (accumulated -4)" in out
    assert "∂f/∂(x+y) = z = -4\n" in out
    assert "Multiply gate: the inputs swap — the local gradient of x+y is the other input's " \
        "value: z = -4." in out
    assert "∂f/∂z += upstream × local = 1 × 3 = 3  (accumulated 3)" in out
    # add gate: distributes the upstream -4 unchanged
    assert "∂f/∂x += upstream × local = -4 × 1 = -4  (accumulated -4)" in out
    assert "∂(x+y)/∂x = 1\n" in out
    assert "Add gate: passes the upstream gradient to each input unchanged" in out
    assert out.index("∂f/∂f = 1") < out.index("∂f/∂(x+y) +=") < out.index("∂f/∂x +=")
    steps = out.split("forward:")[1]  # the node table above lists ids; the steps never do
    assert "#" not in steps and "n2" not in steps


def test_steps_write_each_local_derivative_from_the_registry(capsys):
    status, out, _ = run(capsys, "eval", "sigmoid(u)", "u=1", "--steps")
    assert status == 0
    assert "∂f/∂u = σ·(1 − σ) = 0.7311·(1 − 0.7311) = 0.1966" in out
    status, out, _ = run(capsys, "eval", "1 / d", "d=2", "--steps", "--lang", "ko")
    assert "∂f/∂d = −1/d² = −1/2² = -0.25" in out
    assert "∂f/∂1" not in out  # a constant gets no gradient step


def test_steps_accumulate_at_a_fork(capsys):
    status, out, _ = run(capsys, "eval", "x*x", "x=3", "--steps")
    assert status == 0
    assert "∂f/∂x += upstream × local = 1 × 3 = 3  (accumulated 3)" in out
    assert "∂f/∂x += upstream × local = 1 × 3 = 3  (accumulated 6)" in out


def test_steps_on_tensor_edges_show_the_rule_and_shapes(capsys):
    status, out, _ = run(capsys, "eval", "sum(W @ X)", "W=[[1,2],[3,4]]", "X=[[1],[2]]",
                         "--steps")
    assert status == 0
    assert "∂f/∂W += G·Xᵀ  [G 2×1 → W 2×2] = [[1, 2], [1, 2]]" in out
    assert "∂f/∂X += Wᵀ·G  [G 2×1 → X 2×1] = [[4], [6]]" in out


def test_named_statements_name_nodes_and_the_output(capsys):
    status, out, _ = run(capsys, "eval", "q = x + y; L = q * z", "x=-2", "y=5", "z=-4",
                         "--steps")
    assert status == 0
    assert "q = x + y = -2 + 5 = 3" in out and "L = q × z = 3 × (-4) = -12" in out
    assert "∂L/∂L = 1" in out and "∂L/∂x = -4" in out


def test_tensor_value_is_read_as_json(capsys):
    status, out, _ = run(capsys, "eval", "sum(W*W)", "W=[[1,2],[3,4]]")
    assert status == 0
    assert table_row(out, "n0")[:4] == ["n0", "W", "variable", "2×2"]
    assert "output f = 30" in out
    assert "∂f/∂W = [[2, 4], [6, 8]]" in out


def test_output_grad_seeds_the_backward_pass(capsys):
    status, out, _ = run(capsys, "eval", *CHAIN, "--output-grad", "2")
    assert status == 0
    assert "∂f/∂x = -8" in out and "∂f/∂z = 6" in out
    status, out, _ = run(capsys, "eval", "2*v", "v=[1,2]", "--output-grad", "[1, -1]")
    assert status == 0
    assert "∂f/∂v = [2, -2]" in out


def test_expand_shows_the_primitive_gates_with_the_same_gradient(capsys):
    _, atomic, _ = run(capsys, "eval", "sigmoid(x)", "x=0.3")
    _, expanded, _ = run(capsys, "eval", "sigmoid(x)", "x=0.3", "--expand")
    assert len(expanded.splitlines()) > len(atomic.splitlines())
    assert "exp [sigmoid]" in expanded
    grad = [line for line in atomic.splitlines() if line.startswith("  ∂f/∂x")]
    assert grad and grad[0] in expanded.splitlines()


def test_precision_sets_significant_digits(capsys):
    _, out, _ = run(capsys, "eval", "sigmoid(x)", "x=0.3")
    assert "output f = 0.5744" in out
    _, out, _ = run(capsys, "eval", "sigmoid(x)", "x=0.3", "--precision", "2")
    assert "output f = 0.57" in out


def test_non_finite_numbers_print_as_infinity_and_warn(capsys):
    status, out, err = run(capsys, "eval", "log(x)", "x=0")
    assert status == 0
    assert "output f = -Infinity" in out and "∂f/∂x = Infinity" in out
    assert "warning" in err


def test_fmt_number_spells_non_finite_numbers_like_the_api():
    assert fmt_number(float("nan")) == "NaN"
    assert fmt_number(float("inf")) == "Infinity"
    assert fmt_number(float("-inf")) == "-Infinity"
    assert fmt_number(-0.0) == "0"
    assert fmt_number(1 / 3) == "0.3333"
    assert fmt_number(1 / 3, 2) == "0.33"


# ---------------------------------------------------------------- errors


def test_syntax_error_exits_2_with_a_caret_under_column_5(capsys):
    status, out, err = run(capsys, "eval", "(x+y))*z", "x=1", "y=2", "z=3")
    assert status == 2
    assert out == ""
    assert caret_column(err, "(x+y))*z") == (5, 1)
    assert "this ')' has no matching '('" in err
    assert "syntax_error" in err


def test_lang_ko_prints_the_korean_message(capsys):
    with pytest.raises(ExpressionError) as caught:
        evaluate("(x+y))*z", {})
    status, _, err = run(capsys, "eval", "(x+y))*z", "--lang", "ko")
    assert status == 2
    assert caught.value.msg_ko in err
    assert caught.value.msg not in err
    assert "오류" in err


def test_language_defaults_from_lang(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    _, _, err = run(capsys, "eval", "(x+y))*z")
    assert "짝이" in err
    monkeypatch.setenv("LANG", "C.UTF-8")
    _, _, err = run(capsys, "eval", "(x+y))*z")
    assert "no matching" in err


def test_unexpected_end_of_input_puts_one_caret_after_the_end(capsys):
    status, _, err = run(capsys, "eval", "(x+y)*")
    assert status == 2
    assert caret_column(err, "(x+y)*") == (6, 1)


def test_multiline_expression_shows_the_line_with_the_error():
    expression = "q = x + y\nf = q * z)"
    assert caret_lines(expression, 19, 20) == ["2 | f = q * z)", "  |          ^"]


def test_caret_lines_cut_a_long_line_around_the_error():
    expression = "x+" * 500 + "(y))" + "+z" * 500
    at = expression.index("))") + 1
    line, carets = caret_lines(expression, at, at + 1)
    assert len(line) < 120
    assert line[carets.index("^")] == ")" and line[carets.index("^") - 1] == ")"


def test_bad_value_is_a_clear_error_naming_the_variable(capsys):
    status, out, err = run(capsys, "eval", *CHAIN[:3], "z=abc")
    assert status == 2 and out == ""
    assert "value of z" in err and "'abc'" in err


@pytest.mark.parametrize("argument, words", [
    ("x", "NAME=VALUE"),
    ("x=NaN", "finite"),
    ("x=1e999", "finite"),
    ("x=true", "value of x"),
    ('x="3"', "value of x"),
    ("1x=3", "not a variable name"),
])
def test_malformed_values_are_refused_before_evaluation(capsys, argument, words):
    status, _, err = run(capsys, "eval", "x + 1", argument)
    assert status == 2
    assert words in err


def test_a_value_the_engine_refuses_names_its_variable(capsys):
    status, _, err = run(capsys, "eval", "x*y", "x=[1,[2]]", "y=2")
    assert status == 2
    assert "invalid_value" in err and "x:" in err
    assert caret_column(err, "x*y") == (0, 1)  # at the variable's first use


def test_missing_value_points_at_the_variable(capsys):
    status, _, err = run(capsys, "eval", *CHAIN[:3])
    assert status == 2
    assert "missing_value" in err and "z:" in err
    assert caret_column(err, "(x+y)*z") == (6, 1)


def test_a_value_for_a_constant_is_refused_with_a_caret_under_its_use(capsys):
    status, out, err = run(capsys, "eval", "e*2", "e=1")
    assert status == 2 and out == ""
    assert "reserved_name" in err and "e:" in err and "constant" in err
    assert caret_column(err, "e*2") == (0, 1)
    assert "5.43" not in err  # 2e, what ignoring the value used to print


def test_a_value_for_a_function_name_is_refused_even_when_unused(capsys):
    status, out, err = run(capsys, "eval", "x + 1", "x=1", "sigmoid=2", "--lang", "ko")
    assert status == 2 and out == ""
    assert "reserved_name" in err and "sigmoid:" in err and "내장 함수" in err
    assert "^" not in err  # nothing in the expression to point at


def test_gradcheck_refuses_a_value_for_pi(capsys):
    status, out, err = run(capsys, "gradcheck", "x * pi", "x=1", "pi=3")
    assert status == 2 and out == ""
    assert "reserved_name" in err and "pi:" in err
    assert caret_column(err, "x * pi") == (4, 2)


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["eval"]) == 2
    assert main(["eval", "x", "--precision", "0"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0
    capsys.readouterr()


# ---------------------------------------------------------------- gradcheck, ops, serve


def test_gradcheck_prints_backprop_numeric_a_small_error_and_the_cost(capsys):
    status, out, _ = run(capsys, "gradcheck", *CHAIN)
    assert status == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:4]}
    assert rows["x"][1:3] == ["-4", "-4"] and rows["z"][1:3] == ["3", "3"]
    error_line = next(line for line in out.splitlines()
                      if line.startswith("max relative error:"))
    assert float(error_line.split(":")[1]) < 1e-6
    assert "6 forward evaluations" in out and "1 backward pass" in out


def test_gradcheck_over_the_work_budget_is_refused_with_exit_2(capsys, monkeypatch):
    # the budget comes from BPV_MAX_GRADCHECK_WORK, like the server's; 3 variables of a
    # 5-node graph need 6 evaluations of at least 5 node-evaluations each
    monkeypatch.setenv("BPV_MAX_GRADCHECK_WORK", "29")
    get_settings.cache_clear()
    try:
        status, out, err = run(capsys, "gradcheck", *CHAIN)
    finally:
        monkeypatch.delenv("BPV_MAX_GRADCHECK_WORK")
        get_settings.cache_clear()
    assert status == 2 and out == ""
    assert "limit_exceeded" in err and "node-evaluations" in err and "29" in err
    assert "6 forward evaluations" in err
    assert caret_column(err, "(x+y)*z") == (0, 7)  # the whole expression
    status, out, _ = run(capsys, "gradcheck", *CHAIN)  # the default budget allows it
    assert status == 0 and "6 forward evaluations" in out


def test_gradcheck_json_is_the_engine_report(capsys):
    status, out, _ = run(capsys, "gradcheck", *CHAIN, "--json")
    assert status == 0
    report = json.loads(out)
    assert report["variables"]["z"]["backprop"] == 3.0
    assert report["forward_evals"] == 6 and report["backward_passes"] == 1


def test_ops_lists_functions_and_operators_but_not_internal_ones(capsys):
    status, out, _ = run(capsys, "ops")
    assert status == 0
    assert "sigmoid(x)" in out and "a + b" in out and "W @ X" in out
    assert "a ** b" in out and "pi" in out
    assert "colsum" not in out and "Σ₀" not in out
    _, ko, _ = run(capsys, "ops", "--lang", "ko")
    assert "함수" in ko and "sigmoid(x)" in ko


def test_serve_starts_uvicorn_with_the_app(monkeypatch, capsys):
    calls = []
    fake = types.SimpleNamespace(run=lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setitem(sys.modules, "uvicorn", fake)
    assert main(["serve", "--port", "9001", "--workers", "3"]) == 0
    assert calls == [("app.main:app",
                      {"host": "127.0.0.1", "port": 9001, "workers": 3, "reload": False})]


# ---------------------------------------------------------------- the installed command


def test_console_script_runs_the_tutorial_example():
    script = Path(sys.executable).parent / "backprop-viz"
    assert script.exists(), "pip install -e . installs the console script"
    env = {**os.environ, "LANG": "en_US.UTF-8", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([str(script), "eval", *CHAIN], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "output f = -12" in done.stdout and "∂f/∂z = 3" in done.stdout
    done = subprocess.run([str(script), "eval", "(x+y))*z"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2
    assert "^" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------- names and leading minus


@pytest.mark.parametrize("argv", [
    ["eval", "-x**2", "x=3"],
    ["eval", "--precision", "6", "-x**2", "x=3"],
    ["eval", "-x**2", "x=3", "--precision", "6", "--steps"],
    ["eval", "--", "-x**2", "x=3"],
])
def test_an_expression_starting_with_minus_is_an_expression(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert "output f = -9" in out
    assert "∂f/∂x = -6" in out


def test_eval_json_with_leading_minus(capsys):
    status, out, _ = run(capsys, "eval", "--json", "-x**2", "x=3")
    assert status == 0
    body = json.loads(out)
    assert body["value"] == -9.0 and body["gradients"] == {"x": -6.0}


def test_gradcheck_with_leading_minus(capsys):
    status, out, err = run(capsys, "gradcheck", "-x*y", "x=2", "y=3", "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["variables"]["x"]["backprop"] == -3.0
    assert report["variables"]["y"]["backprop"] == -2.0


def test_an_unknown_option_is_still_a_usage_error(capsys):
    assert main(["eval", "--bogus", "x", "x=1"]) == 2
    capsys.readouterr()


def test_hangul_and_greek_names_on_the_command_line(capsys):
    status, out, err = run(capsys, "eval", "가중치 * θ", "가중치=3", "θ=0.5")
    assert status == 0, err
    assert "output f = 1.5" in out
    assert "∂f/∂가중치 = 0.5" in out and "∂f/∂θ = 3" in out


@pytest.mark.parametrize("name", ["\uff58", "x\u00b2", "__x", "a" * 33, "x-y"])
def test_the_cli_refuses_names_the_language_refuses(capsys, name):
    status, _, err = run(capsys, "eval", "x + 1", "x=1", f"{name}=2")
    assert status == 2
    assert "not a variable name" in err


def test_missing_value_str_names_the_variable():
    with pytest.raises(ExpressionError) as info:
        evaluate("x + w", {"x": 1.0})
    assert str(info.value) == "w: this variable has no value"
    assert info.value.msg == "this variable has no value"  # msg itself quotes nothing
