import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # `import clikit` also under --import-mode=importlib
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    """Messages in English unless a test asks for Korean (the CLI follows LANG)."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
