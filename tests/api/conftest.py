"""Shared fixtures for the API tests.

Each app instance starts its worker processes in the lifespan (spawned, ~1 s each, and the
first job waits until the worker has imported numpy and the engine), so clients are
session- or module-scoped and warmed up once; no test creates its own client.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # `import apikit` also under --import-mode=importlib
    sys.path.insert(0, HERE)

from apikit import start_client, warm  # noqa: E402


@pytest.fixture(scope="session")
def client():
    """The app with default settings."""
    c = start_client()
    try:
        yield warm(c)
    finally:
        c.__exit__(None, None, None)


@pytest.fixture(scope="session")
def small_client():
    """Small transport and response limits: 1000-byte bodies, tensors summarised above 16."""
    c = start_client(max_body_bytes=1000, max_tensor_elements=16)
    try:
        yield warm(c)
    finally:
        c.__exit__(None, None, None)
