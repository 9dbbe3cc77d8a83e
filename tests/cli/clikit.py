"""What every CLI test does: run `backprop-viz` in-process and read what it printed."""

from app.cli import main


def run(capsys, *argv):
    """(exit status, stdout, stderr) of `backprop-viz *argv`; never a traceback."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err
