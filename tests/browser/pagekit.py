"""Helpers for the browser tests: the page guard and a thin driver that does what a user
does (type, click, press keys) and reads what the page shows (the data-testid
hooks)."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

MINUS = "\u2212"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
COUNTER = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shown_steps(graph: dict) -> list[dict]:
    """The steps the page's timeline goes through: the API's, without the backward steps
    into constants (hidden unless "Show the constants' gradient steps" is ticked)."""
    constants = {n["id"] for n in graph["nodes"] if n["kind"] == "constant"}
    return [s for s in graph["steps"] if not (s["kind"] == "edge" and s["source"] in constants)]


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, so attribute selectors hold any name (a variable may
    be called `가중치` or `θ`, and is not always a valid CSS identifier)."""
    escaped = "".join(ch if ch not in '"\\\n' else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def share_hash(payload) -> str:
    """A share link's hash ("#s=<base64url of UTF-8 JSON>", the page's format) for a JSON
    payload (a dict, or JSON text as is: hand-made links may be anything)."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return "#s=" + base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


class PageGuard:
    """Collects what must never happen on the page: uncaught errors, console errors,
    dialogs, and requests leaving http://127.0.0.1:<port> (data: and blob: are local).

    A test that provokes an API error on purpose (a 422 answer makes Chromium log "Failed
    to load resource: ... status of 422") says so with `allow_http_error(path, status)`;
    only that exact message for that exact path is then tolerated."""

    def __init__(self, port: int):
        self.origin = f"127.0.0.1:{port}"
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.allowed: set[tuple[str, int]] = set()
        self.pages = []

    def attach(self, context, page):
        self.pages.append(page)
        context.on("request", self._on_request)
        context.on("page", lambda p: self.problems.append(f"unexpected new page/popup: {p.url}"))
        page.on("pageerror", lambda err: self.problems.append(f"uncaught page error: {err}"))
        page.on("console", self._on_console)
        page.on("dialog", self._on_dialog)

    def allow_http_error(self, path: str, status: int):
        self.allowed.add((path, status))

    def is_local(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob"):
            return True
        return parts.scheme in ("http", "ws") and parts.netloc == self.origin

    def _on_request(self, req):
        self.requests.append(req.url)
        if not self.is_local(req.url):
            self.problems.append(f"request leaving the origin: {req.method} {req.url[:200]}")

    def _on_console(self, msg):
        if msg.type != "error":
            return
        location = (msg.location or {}).get("url", "")
        path = urllib.parse.urlsplit(location).path
        m = re.fullmatch(r"Failed to load resource: the server responded with a status of "
                         r"(\d+) \(.*\)", msg.text)
        if m and (path, int(m.group(1))) in self.allowed:
            return
        self.problems.append(f"console error: {msg.text} (at {location})")

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        self.problems.append(f"a dialog opened: {dialog.type} {dialog.message!r}")
        try:
            dialog.dismiss()
        except Exception:  # noqa: BLE001 - the page may be closing
            pass

    def flush(self) -> list[str]:
        """Let pending events arrive, then return (and clear) the problems seen."""
        for page in self.pages:
            try:
                if not page.is_closed():
                    page.evaluate("0")
            except Exception:  # noqa: BLE001 - a crashed page reports itself elsewhere
                pass
        problems, self.problems = self.problems, []
        return problems


class App:
    """The page as a user drives it."""

    def __init__(self, page, server, guard: PageGuard):
        self.page = page
        self.server = server
        self.guard = guard

    # ------------------------------------------------------------------ locators

    def testid(self, name: str):
        return self.page.locator(f"[data-testid={css_string(name)}]")

    @property
    def expression(self):
        return self.testid("expression-input")

    def value_input(self, name: str):
        return self.testid(f"value-input-{name}")

    @property
    def counter_el(self):
        return self.testid("step-counter")

    @property
    def chain_el(self):
        return self.testid("chain-rule")

    @property
    def error_el(self):
        return self.testid("error-message")

    @property
    def share_notice(self):
        """Why a share link did not open (hidden when there is nothing to say)."""
        return self.testid("share-notice")

    # ------------------------------------------------------------------ actions

    def open(self, url: str | None = None):
        self.page.goto(url or self.server.url("/"))
        self.page.wait_for_selector("body[data-ready=true]", state="attached")
        return self

    def type_expression(self, text: str, variables: list[str] | None = None):
        """Replace the expression as a user would (click, select all, type; Shift+Enter for
        a new line), and wait for the page to re-read it (POST /api/parse, debounced). With
        `variables`, also wait until the values editor lists exactly those names."""
        box = self.expression
        box.click()
        box.press("Control+A")
        box.press("Delete")

        def parsed(r):
            if not r.url.endswith("/api/parse"):
                return False
            return json.loads(r.request.post_data or "{}").get("expression") == text

        with self.page.expect_response(parsed):
            for i, line in enumerate(text.split("\n")):
                if i:
                    box.press("Shift+Enter")  # Enter alone runs
                box.press_sequentially(line)
        assert box.input_value() == text
        if variables is not None:
            self.page.wait_for_function(
                """names => JSON.stringify([...document.querySelectorAll(
                     '[data-testid=values-editor] textarea')].map(t => t.dataset.name))
                   === JSON.stringify(names)""", arg=variables)

    def set_value(self, name: str, text: str):
        box = self.value_input(name)
        expect(box).to_be_visible()
        box.fill(text)

    def _first_node(self):
        return self.page.evaluate_handle("document.querySelector('[data-testid=node]')")

    def _wait_new_graph(self, old):
        # setGraph() removes every node of the previous graph and draws the new ones in the
        # same task, so "the old first node is gone and some node exists" = redrawn.
        self.page.wait_for_function(
            "old => (!old || !old.isConnected) && document.querySelector('[data-testid=node]')",
            arg=old)

    def run(self, click=None) -> dict:
        """Click Run (or do `click`), wait for POST /api/graph and the redraw; the graph."""
        old = self._first_node()
        with self.page.expect_response(lambda r: r.url.endswith("/api/graph")) as resp:
            (click or (lambda: self.testid("run-button").click()))()
        response = resp.value
        assert response.ok, f"/api/graph answered {response.status}: {response.text()[:300]}"
        self._wait_new_graph(old)
        expect(self.testid("run-button")).to_be_enabled()
        return response.json()

    def choose_example(self, example_id: str) -> dict:
        return self.run(lambda: self.testid("examples").select_option(example_id))

    def share_link(self) -> str:
        """Click "Copy link"; the page's address (page.url), which now holds the link."""
        self.page.locator("#share").click()
        href = self.page.evaluate("location.href")
        assert "#s=" in href, href
        self.page.wait_for_function("href => location.href === href", arg=href)
        expect(self.page).to_have_url(href)
        return self.page.url

    def key(self, key: str):
        self.page.keyboard.press(key)

    def blur(self):
        """Click a neutral spot (the page title), so keys go to the document."""
        self.page.locator("h1.brand").click()

    # ------------------------------------------------------------------ reading

    def counter(self) -> tuple[int, int]:
        text = self.counter_el.text_content()
        m = COUNTER.match(text or "")
        assert m, f"step counter reads {text!r}"
        return int(m.group(1)), int(m.group(2))

    def expect_counter(self, k: int, n: int):
        expect(self.counter_el).to_have_text(f"{k} / {n}")

    def chain_text(self) -> str:
        return self.chain_el.inner_text()

    def chain_lines(self) -> list[str]:
        """The chain-rule panel, one paragraph per item (sentence, arithmetic, gate)."""
        return self.chain_el.locator("p").all_text_contents()

    def nodes(self) -> list[dict]:
        return self.page.eval_on_selector_all(
            "[data-testid=node]",
            """els => els.map(el => ({id: el.dataset.nodeId, kind: el.dataset.kind,
                 name: el.dataset.name, value: el.dataset.value, grad: el.dataset.grad,
                 shown_value: el.querySelector('text.val')?.textContent ?? '',
                 shown_grad: el.querySelector('text.grd')?.textContent ?? ''}))""")

    def node_by_name(self, name: str) -> dict:
        found = [n for n in self.nodes() if n["name"] == name]
        assert len(found) == 1, f"{len(found)} nodes named {name!r}: {self.nodes()}"
        return found[0]

    def node_by_id(self, node_id: str) -> dict:
        found = [n for n in self.nodes() if n["id"] == node_id]
        assert len(found) == 1, f"{len(found)} nodes with id {node_id!r}"
        return found[0]

    def graph_text(self) -> str:
        """Every label the graph shows (values, gradients, names, symbols)."""
        return self.page.eval_on_selector("[data-testid=graph]", "svg => svg.textContent")

    def shot(self, path, full_page=False):
        self.page.screenshot(path=str(path), full_page=full_page)


TUTORIAL = "(x+y)*z"
TUTORIAL_VALUES = {"x": "-2", "y": "5", "z": "-4"}


def enter_tutorial(app) -> dict:
    """Type (x+y)*z, fill x, y, z = -2, 5, -4, click Run; the /api/graph answer."""
    app.type_expression(TUTORIAL, variables=["x", "y", "z"])
    for name, text in TUTORIAL_VALUES.items():
        app.set_value(name, text)
    return app.run()


def watch_texts(page, pattern: str, flags: str = "i"):
    """Record every text that matches the JS regex `pattern` and is shown on the page from
    now on, however briefly (a status line that is replaced a moment later included): a
    MutationObserver checks added nodes and changed text. Returns a function that gives the
    matching texts seen so far (also what matches at the moment of the call)."""
    page.evaluate(
        """([source, flags]) => {
             const re = new RegExp(source, flags);
             const seen = window.__watchedTexts ??= [];
             const check = (node) => {
               const text = node?.textContent ?? "";
               if (re.test(text)) seen.push(text.trim().slice(0, 300));
             };
             check(document.body);
             new MutationObserver((records) => {
               for (const r of records) {
                 if (r.type === "characterData") check(r.target);
                 for (const node of r.addedNodes) check(node);
               }
             }).observe(document.body, { subtree: true, childList: true, characterData: true });
           }""", [pattern, flags])

    def seen() -> list[str]:
        page.evaluate("0")  # let pending mutation callbacks run first
        return page.evaluate(
            """([source, flags]) => [...window.__watchedTexts,
                 ...(new RegExp(source, flags).test(document.body.textContent)
                     ? ['(now) ' + document.body.textContent.trim().slice(0, 300)] : [])]""",
            [pattern, flags])

    return seen
