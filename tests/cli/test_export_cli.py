"""`backprop-viz export --to torch EXPR NAME=VALUE...`: the same script as POST /api/export."""

import ast

from app.cli import main


def test_export_prints_a_runnable_script(capsys):
    assert main(["export", "--to", "torch", "q = x + y\nf = q * z", "x=-2", "y=5", "z=-4"]) == 0
    out = capsys.readouterr().out
    ast.parse(out)
    assert "q = x + y" in out and 'print("z.grad =", z.grad.tolist())' in out


def test_an_expression_starting_with_minus_and_a_syntax_error(capsys):
    assert main(["export", "-x**2", "x=3"]) == 0
    assert "x.grad" in capsys.readouterr().out
    assert main(["export", "sigmoid(x", "x=1"]) == 2
    assert "^" in capsys.readouterr().err
