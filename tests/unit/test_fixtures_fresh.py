"""The JavaScript fixtures (tests/js/fixtures/) are what today's engine and encoder produce."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("make_fixtures",
                                                  ROOT / "scripts" / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_fixture_is_produced_by_the_script():
    make = _script()
    committed = {p.name for p in make.FIXTURES.glob("*.json")}
    assert committed == set(make.build_all()), (
        "tests/js/fixtures/ and scripts/make_fixtures.py list different files: add the "
        "fixture's request to GRAPHS in scripts/make_fixtures.py")


def test_committed_fixtures_match_the_engine():
    make = _script()
    stale = make.stale()
    assert not stale, (
        f"tests/js/fixtures/{', '.join(stale)} differ from what the engine produces now: "
        f"run `.venv/bin/python {make.SCRIPT}` and check the JS tests (`node --test tests/js/`)")
