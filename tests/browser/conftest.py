"""Browser tests of the page: the real server (uvicorn in a child process) and Debian's
chromium driven by Playwright.

- One server and one browser per session; every test gets a fresh context and page.
- Every page is watched (`pagekit.PageGuard`): an uncaught page error, a console error, a
  dialog, or any request that leaves the server's origin (other than data:/blob: URLs)
  fails the test that caused it, in its call phase (so it is reported as a failure, not as
  a teardown error).
- Screenshots go to /tmp/browser-shots/ (never into the repository).
"""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
for path in (str(HERE), str(ROOT)):  # `import pagekit`, `import bench` (any import mode)
    if path not in sys.path:
        sys.path.insert(0, path)

from bench.http_server import Server  # noqa: E402
from pagekit import CHROMIUM, CHROMIUM_ARGS, App, PageGuard  # noqa: E402

GUARDS = pytest.StashKey[list]()
SHOTS = Path(os.environ.get("BPV_SHOTS_DIR", "/tmp/browser-shots"))


@pytest.fixture(scope="session")
def server():
    """The real app (`python -m uvicorn app.main:app`) on 127.0.0.1 at a free port; ready
    once GET /healthz answers 200; stopped (with its engine workers) at the end."""
    with Server("app.main:app", ready_path="/healthz") as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing (make chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_app(request, server, browser):
    """A factory of guarded pages: new_app(viewport=..., locale=...) -> App, each in its
    own browser context (no shared storage, so no leftover language or theme)."""
    contexts = []
    guards = request.node.stash.setdefault(GUARDS, [])

    def make(viewport=None, locale="en-US", **options):
        context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900},
                                      locale=locale, accept_downloads=True, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        guard = PageGuard(server.port)
        guard.attach(context, page)
        # Nothing may leave the machine even if the page tries: foreign requests are
        # aborted here (and reported by the guard, which sees them first).
        context.route(lambda url: not guard.is_local(url),
                      lambda route: route.abort("blockedbyclient"))
        guards.append(guard)
        return App(page, server, guard)

    yield make
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - the browser may already be gone
            pass


@pytest.fixture
def app(new_app):
    """The page, loaded and ready (its first example has run)."""
    a = new_app()
    a.open()
    return a


@pytest.fixture(scope="session")
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    guards = item.stash.get(GUARDS, [])
    try:
        result = yield
    except BaseException as exc:
        problems = [p for g in guards for p in g.flush()]
        if problems:
            exc.add_note("page problems seen during the test:\n  " + "\n  ".join(problems))
        raise
    problems = [p for g in guards for p in g.flush()]
    if problems:
        pytest.fail("page problems seen during the test:\n  " + "\n  ".join(problems),
                    pytrace=False)
    return result
