"""The README's examples print what the README says they print.

Every ```python block is run as a script in a fresh interpreter, and every curl command of
the ```sh (or ```bash) blocks is run against a live server (`uvicorn app.main:app` on a free
loopback port, the README's http://127.0.0.1:8000 replaced by its address).

The README's convention for expected output: a comment starting with `# →`, either at the end
of a line or on the line after it, holds what that line prints; comment lines right after
it that start with `#` and at least two more spaces continue it. In the expected text, `...`
stands for anything, whitespace is insignificant, and a number matches a printed number
that rounds to it (to the digits shown). A Python block's output lines are matched in order,
one per `# →`. A curl command must answer 200, unless its expected text starts with another
status (`# → 422 {"detail": ...}`). Commands are run as argument lists, never by a shell.
"""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bench.http_server import Server

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_URL = "http://127.0.0.1:8000"
ARROW = "# →"
TIMEOUT_S = 30


def code_blocks(*langs):
    """(line number, text) of every fenced block whose language is one of `langs`."""
    blocks = []
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", README, re.M | re.S):
        if m.group(1) in langs:
            blocks.append((README.count("\n", 0, m.start(2)) + 1, m.group(2)))
    return blocks


def split_comment(line):
    """(code, comment) of a line: the comment starts at the first `#` outside quotes that
    begins a word, as in the shell and (for our examples) Python."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i:]
    return line.rstrip(), ""


def expected_outputs(lines, i, comment):
    """The expected output that the line at `i` (with its own `comment`) states, or None:
    its inline `# →`, else a `# →` line right after it; with continuation lines."""
    if comment.startswith(ARROW):
        text, j = [comment[len(ARROW):]], i + 1
    elif i + 1 < len(lines) and lines[i + 1].startswith(ARROW):
        text, j = [lines[i + 1][len(ARROW):]], i + 2
    else:
        return None
    while j < len(lines) and re.match(r"#   ", lines[j]):
        text.append(lines[j][1:])
        j += 1
    return " ".join(t.strip() for t in text)


def curl_examples():
    """(README line, argv, expected output or None) for every curl command."""
    examples = []
    for start, block in code_blocks("sh", "bash"):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            if not lines[i].startswith("curl "):
                i += 1
                continue
            first, command = i, []
            while True:  # a command ends at a line outside quotes with no `\` continuation
                code, comment = split_comment(lines[i])
                command.append(code)
                text = "\n".join(command)
                if not text.endswith("\\") and text.count("'") % 2 == 0:
                    break
                i += 1
            argv = shlex.split(text.replace("\\\n", " "))
            examples.append((start + first, argv, expected_outputs(lines, i, comment)))
            i += 1
    return examples


def python_examples():
    """(README line, source, [expected output per printed line]) for every Python block."""
    examples = []
    for start, block in code_blocks("python"):
        lines = block.splitlines()
        expected = [e for i, line in enumerate(lines)
                    if not line.startswith("#")
                    and (e := expected_outputs(lines, i, split_comment(line)[1])) is not None]
        examples.append((start, block, expected))
    return examples


NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
TOKEN = re.compile(rf"(\.\.\.)|(\s+)|((?<![\d.]){NUMBER})")


def mismatch(expected, printed):
    """None when `printed` is what `expected` says (see the module docstring), else why not."""
    pattern, numbers, pos = [], [], 0
    for m in TOKEN.finditer(expected):
        pattern.append(re.escape(expected[pos:m.start()]))
        if m.group(1):
            pattern.append(".*?")
        elif m.group(2):
            pattern.append(r"\s*")
        else:
            pattern.append(rf"({NUMBER})")
            numbers.append(m.group(3))
        pos = m.end()
    pattern.append(re.escape(expected[pos:]))
    m = re.fullmatch(r"\s*" + "".join(pattern) + r"\s*", printed, re.S)
    if m is None:
        return "the printed text has another form"
    for shown, got in zip(numbers, m.groups()):
        mantissa, _, exponent = shown.lower().partition("e")
        digits = len(mantissa.partition(".")[2])
        tolerance = 0.5 * 10.0 ** (int(exponent or 0) - digits)
        if not abs(float(got) - float(shown)) <= tolerance * (1 + 1e-9):
            return f"printed {got} where the README shows {shown}"
    return None


def test_the_output_convention_compares_numbers_to_the_digits_shown():
    assert mismatch("{'x': -4.0, 'n': 3}", "{'x': -4.04, 'n': 3}") is None
    assert mismatch("{'x': -4.0}", "{'x': -4.06}") is not None
    assert mismatch("0.74", "0.7353") is None
    assert mismatch("1e-10", "1.4e-10") is None
    assert mismatch("1e-10", "1.6e-10") is not None
    assert mismatch('{"a": [...], "b": 2}', '{"a":[1,[2]],"b":2}') is None
    assert mismatch('{"b": 2}', '{"b": -2}') is not None
    assert mismatch("n4", "n14") is not None


CURLS = curl_examples()
PYTHONS = python_examples()


def test_the_readme_has_the_examples_this_test_checks():
    paths = {argv[argv.index("-s") + 1].removeprefix(README_URL) for _, argv, _ in CURLS}
    assert {"/api/graph", "/api/gradcheck", "/api/train", "/api/landscape", "/api/parse",
            "/api/ops", "/api/examples", "/api/optimizers", "/healthz"} <= paths
    assert sum(e is not None for _, _, e in CURLS) >= 5
    assert PYTHONS and all(expected for _, _, expected in PYTHONS)


@pytest.fixture(scope="module")
def server():
    with Server("app.main:app", env={"BPV_WORKERS": "1"}) as s:
        yield s


@pytest.mark.parametrize("line, argv, expected", CURLS, ids=[f"line{c[0]}" for c in CURLS])
def test_a_curl_example_prints_what_the_readme_shows(server, line, argv, expected):
    argv = [a.replace(README_URL, server.url("")) for a in argv]
    assert argv[0] == "curl" and any(a.startswith(server.url("/")) for a in argv)
    done = subprocess.run([*argv, "--noproxy", "*", "-w", "\n%{http_code}"],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    want_status, want = 200, expected
    if expected is not None and (m := re.match(r"(\d{3}) (.*)", expected, re.S)):
        want_status, want = int(m.group(1)), m.group(2)
    assert int(status) == want_status, body[:500]
    json.loads(body)  # every example answers JSON
    if want is not None:
        problem = mismatch(want, body)
        assert problem is None, (f"README line {line}: {problem}\n"
                                 f"shows:   {want}\nprinted: {body[:2000]}")


@pytest.mark.parametrize("line, source, expected", PYTHONS,
                         ids=[f"line{p[0]}" for p in PYTHONS])
def test_a_python_example_prints_what_the_readme_shows(line, source, expected):
    done = subprocess.run([sys.executable, "-c", source], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout.splitlines()
    assert len(printed) == len(expected), (printed, expected)
    for want, got in zip(expected, printed):
        problem = mismatch(want, got)
        assert problem is None, (f"README block at line {line}: {problem}\n"
                                 f"shows:   {want}\nprinted: {got}")
