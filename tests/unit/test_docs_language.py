"""docs/engine.md's language section cannot drift from the registry and the limits, and
docs/ and README.md do not refer to documents outside the repository."""

import dataclasses
import re
from pathlib import Path

from app.engine import OPS
from app.engine.limits import DEFAULT_LIMITS
from app.engine.ops import CONSTANTS

ROOT = Path(__file__).resolve().parents[2]
ENGINE_MD = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")


def documented_functions():
    block = re.search(r"<!-- functions:.*?-->(.*?)<!-- end functions -->", ENGINE_MD, re.S)
    assert block, "docs/engine.md has no functions table"
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^\| `([^`]+)` \| (\d+) \|$", block.group(1), re.M)}


def test_the_documented_functions_are_exactly_the_callable_ops():
    callable_ops = {op.syntax: op.arity for op in OPS.values() if op.kind == "function"}
    assert documented_functions() == callable_ops


def test_the_documented_constants_are_the_constants():
    section = ENGINE_MD[ENGINE_MD.index("### Constants"):ENGINE_MD.index("### Functions")]
    assert set(re.findall(r"`(\w+)` \(", section)) == set(CONSTANTS)


def test_the_documented_limit_defaults_are_the_defaults():
    section = ENGINE_MD[ENGINE_MD.index("### Limits"):ENGINE_MD.index("### Errors")]
    rows = dict(re.findall(r"^\| `(\w+)`[^|]*\| ([\d,]+) \|", section, re.M))
    assert rows, "no limits table"
    for name, default in rows.items():
        assert getattr(DEFAULT_LIMITS, name) == int(default.replace(",", "")), name
    assert {"max_chars", "max_nodes", "max_depth", "max_variables"} <= set(rows)
    assert set(rows) <= {f.name for f in dataclasses.fields(DEFAULT_LIMITS)}


def test_docs_do_not_point_outside_the_repository():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for needle in ("DESIGN", "§", "shared/", "design brief"):
            assert needle not in text, (path.name, needle)
