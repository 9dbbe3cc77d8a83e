"""`backprop-viz eval|gradcheck --mistake NAME`: the wrong gradients beside the right ones."""

import json

from app.cli import main
from clikit import run


def test_eval_prints_the_wrong_gradient_and_the_right_one(capsys):
    status, out, _ = run(capsys, "eval", "x*x + x", "x=3", "--mistake", "overwrite_at_forks")
    assert status == 0
    assert "∂f/∂x = 3  (right: 7)" in out
    x_row = next(line.split() for line in out.splitlines() if line.startswith("n0 "))
    assert x_row[-2:] == ["3", "7"]  # gradient, right gradient
    assert "right gradient" in out and "Overwriting at forks" in out


def test_eval_steps_say_what_was_overwritten(capsys):
    status, out, _ = run(capsys, "eval", "x*x + x", "x=3", "--mistake", "overwrite_at_forks",
                         "--steps")
    assert status == 0
    assert "∂f/∂x = upstream × local = 1 × 3 = 3  (accumulated 3)  [overwritten 1]" in out


def test_eval_output_for_input_in_korean(capsys):
    status, out, _ = run(capsys, "eval", "sigmoid(u)", "u=2", "--mistake", "output_for_input",
                         "--steps", "--lang", "ko")
    assert status == 0
    assert "u·(1 − u) = 2·(1 − 2) = -2" in out
    assert "∂f/∂u = -2  (올바른 값: 0.105)" in out


def test_eval_json_has_both(capsys):
    status, out, _ = run(capsys, "eval", "x*x + x", "x=3", "--mistake", "overwrite_at_forks",
                         "--json")
    body = json.loads(out)
    assert status == 0 and body["gradients"] == {"x": 3.0}
    assert body["mistake"]["right_gradients"] == {"x": 7.0}
    assert body["nodes"][0]["right_grad"] == 7.0


def test_gradcheck_shows_the_failure_and_the_right_gradient(capsys):
    status, out, _ = run(capsys, "gradcheck", "sigmoid(x)", "x=1", "--mistake",
                         "output_for_input")
    assert status == 0
    row = next(line.split() for line in out.splitlines() if line.startswith("x "))
    assert row == ["x", "0", "0.1966", "1", "1/1", "0.1966"]
    assert "right backprop" in out and "max relative error: 1" in out
    status, out, _ = run(capsys, "gradcheck", "sigmoid(x)", "x=1", "--mistake",
                         "output_for_input", "--json")
    report = json.loads(out)
    assert report["variables"]["x"]["backprop"] == 0.0
    assert abs(report["variables"]["x"]["right_backprop"] - 0.19661193324148185) < 1e-15


def test_an_unknown_mistake_is_a_usage_error(capsys):
    status = main(["eval", "x", "x=1", "--mistake", "typo"])
    _, err = capsys.readouterr()
    assert status == 2 and "overwrite_at_forks" in err
