"""Errors the user makes: located and underlined in the expression, localized, and every
piece of user text inserted as text, never as HTML."""

import re
import urllib.parse

from pagekit import HANGUL, expect, shown_steps

MIRROR_JS = """() => {
    const mirror = document.getElementById('expression-mirror');
    const marks = mirror.querySelectorAll('mark');
    if (marks.length !== 1) return {marks: marks.length};
    const mark = marks[0];
    let before = '';
    for (const node of mirror.childNodes) {
        if (node === mark) break;
        before += node.textContent;
    }
    const box = mark.getBoundingClientRect();
    return {marks: 1, before, mark: mark.textContent, cls: mark.className,
            width: box.width, height: box.height};
}"""

NO_HTML_JS = """() => ({
    img: document.querySelectorAll('img, image').length,
    onerror: document.querySelectorAll('[onerror]').length,
    b: document.querySelectorAll('b').length,
})"""


def test_located_error_is_underlined_and_localized(app):
    app.guard.allow_http_error("/api/parse", 422)
    app.guard.allow_http_error("/api/graph", 422)
    app.type_expression("(x+y))*z")
    with app.page.expect_response(lambda r: r.url.endswith("/api/graph")) as resp:
        app.testid("run-button").click()
    assert resp.value.status == 422

    expect(app.error_el).to_have_text(re.compile(r"\S"))
    message = app.error_el.text_content()
    assert "')'" in message and "match" in message.lower(), message

    mark = app.page.evaluate(MIRROR_JS)
    assert mark["marks"] == 1, mark
    assert mark["before"] == "(x+y)" and len(mark["before"]) == 5, mark
    assert mark["mark"] == ")", mark
    assert mark["width"] > 0 and mark["height"] > 0, mark

    # In Korean the same error speaks Korean, still at the same place.
    app.testid("lang-toggle").click()
    expect(app.page.locator("html")).to_have_attribute("lang", "ko")
    expect(app.error_el).not_to_have_text(message)
    korean = app.error_el.text_content()
    assert HANGUL.search(korean), korean
    assert app.page.evaluate(MIRROR_JS)["before"] == "(x+y)"

    # Fixing the text clears the message and the underline.
    app.type_expression("(x+y)*z", variables=["x", "y", "z"])
    expect(app.error_el).to_have_text("")
    assert app.page.evaluate(MIRROR_JS)["marks"] == 0


def test_html_in_the_expression_stays_text(app, new_app):
    evil = "x + 1 # <img src=x onerror=alert(1)>"
    app.type_expression(evil, variables=["x"])
    graph = app.run()
    n = len(shown_steps(graph))
    app.blur()
    for k in range(1, n + 1):
        app.key("ArrowRight")
        app.expect_counter(k, n)
        assert app.page.evaluate(NO_HTML_JS) == {"img": 0, "onerror": 0, "b": 0}
    for node in app.page.locator("[data-testid=node]").all():
        node.hover()  # the tooltip
    app.page.wait_for_timeout(300)  # an injected <img> would have fired onerror by now
    assert app.page.evaluate(NO_HTML_JS) == {"img": 0, "onerror": 0, "b": 0}

    # The share link carries the text; the page it opens must not run it either.
    other = new_app()
    other.open(app.share_link())
    expect(other.expression).to_have_value(evil)
    other.page.wait_for_timeout(300)
    assert other.page.evaluate(NO_HTML_JS) == {"img": 0, "onerror": 0, "b": 0}

    # An error after the comment: the mirror under the textarea holds the whole text.
    app.guard.allow_http_error("/api/parse", 422)
    app.type_expression(evil + "\n)")
    expect(app.error_el).to_have_text(re.compile(r"\S"))
    mark = app.page.evaluate(MIRROR_JS)
    assert mark["marks"] == 1 and mark["mark"] == ")", mark
    assert mark["before"] == evil + "\n", mark
    app.page.wait_for_timeout(300)
    assert app.page.evaluate(NO_HTML_JS) == {"img": 0, "onerror": 0, "b": 0}

    assert app.guard.dialogs == [] and other.guard.dialogs == []
    fetched = [u for u in app.guard.requests + other.guard.requests
               if urllib.parse.urlsplit(u).path == "/x"]
    assert fetched == [], fetched


def test_html_in_a_value_is_an_error_shown_as_text(app):
    app.set_value("x", "<b>1</b>")
    app.testid("run-button").click()
    expect(app.error_el).to_have_text(re.compile(r"\S"))
    assert app.error_el.evaluate("el => el.children.length") == 0
    assert app.error_el.text_content().startswith("x")  # the message names the variable
    expect(app.value_input("x")).to_have_attribute("aria-invalid", "true")
    expect(app.value_input("x")).to_have_value("<b>1</b>")
    assert app.page.evaluate(NO_HTML_JS) == {"img": 0, "onerror": 0, "b": 0}


def test_error_underline_lines_up_with_the_typed_text(app):
    """The underline lives in a mirror under the textarea; the two boxes must coincide, or
    the underline drifts away from the text (and the mirror's edge shows as a second
    border under the box)."""
    app.guard.allow_http_error("/api/parse", 422)
    app.type_expression("(x+y))*z")
    expect(app.error_el).to_have_text(re.compile(r"\S"))
    geo = app.page.evaluate("""() => {
        const rect = el => { const r = el.getBoundingClientRect();
                             return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                                     width: r.width, height: r.height}; };
        const ta = document.getElementById('expression');
        const style = getComputedStyle(ta);
        return {textarea: rect(ta), mirror: rect(document.getElementById('expression-mirror')),
                mark: rect(document.querySelector('#expression-mirror mark')),
                inset: parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft),
                insetTop: parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop)};
    }""")
    ta, mirror, mark = geo["textarea"], geo["mirror"], geo["mark"]
    # the ")" at offset 5 of a monospace line: 5 character widths from the text's start
    assert abs(mark["left"] - (ta["left"] + geo["inset"] + 5 * mark["width"])) <= 1.5, geo
    assert ta["top"] + geo["insetTop"] - 1 <= mark["top"] < ta["top"] + geo["insetTop"] + 4, geo
    for side in ("left", "top", "right", "bottom"):
        assert abs(mirror[side] - ta[side]) <= 1, \
            f"mirror {side} {mirror[side]} vs textarea {ta[side]}"


def test_located_error_after_an_emoji(app):
    """The API's spans count code points; an emoji is two UTF-16 units in JS. The
    underline must still sit under the unmatched ")" (offset 14 in code points), not one
    character to the left."""
    app.guard.allow_http_error("/api/parse", 422)
    text = "# \U0001F600 note\n(x+y))*z"
    app.type_expression(text)
    expect(app.error_el).to_have_text(re.compile(r"\S"))
    mark = app.page.evaluate(MIRROR_JS)
    assert mark["marks"] == 1, mark
    assert (mark["before"], mark["mark"]) == ("# \U0001F600 note\n(x+y)", ")"), mark


def test_enter_runs_and_shift_enter_adds_a_line(app):
    app.type_expression("a = x * y\nf = a + x", variables=["x", "y"])  # Shift+Enter: a new line
    assert app.expression.input_value().count("\n") == 1
    app.set_value("x", "3")
    app.set_value("y", "-4")
    graph = app.run(lambda: app.value_input("y").press("Enter"))  # Enter in a value box runs
    assert graph["value"] == -9
    app.type_expression("x * y", variables=["x", "y"])
    graph = app.run(lambda: app.expression.press("Enter"))  # Enter in the expression runs
    assert graph["value"] == -12
    assert app.expression.input_value() == "x * y"  # ... and adds no new line
    expect(app.error_el).to_have_text("")


def test_enter_right_after_typing_runs_what_was_typed(app):
    """A quick typist: new variables, then Enter at once (before the page's debounced
    re-parse of the expression). The run must use the new expression's variables."""
    box = app.expression
    box.click()
    box.press("Control+A")
    box.press("Delete")
    box.press_sequentially("a*b")
    box.press("Enter")
    expect(app.page.locator("[data-testid=node][data-name=a]")).to_have_count(1, timeout=3000)
    expect(app.page.locator("[data-testid=node][data-name=b]")).to_have_count(1)
    expect(app.error_el).to_have_text("")
    expect(app.value_input("a")).to_have_value("1")


def test_an_unknown_function_has_the_function_list_one_click_away(app):
    app.guard.allow_http_error("/api/parse", 422)
    app.guard.allow_http_error("/api/graph", 422)
    app.type_expression("foo(x)")
    with app.page.expect_response(lambda r: r.url.endswith("/api/graph")):
        app.testid("run-button").click()
    expect(app.error_el).to_contain_text("unknown function")
    listing = app.testid("functions-list")
    expect(listing).to_be_visible()
    listing.locator("summary").click()
    items = listing.locator("li")
    expect(items.first).to_be_visible()
    texts = items.all_text_contents()
    assert any(t.startswith("sigmoid(x)") for t in texts), texts
    assert not any(t.startswith("Σ₀") for t in texts)  # internal ops are not the language
    app.type_expression("sigmoid(x)", ["x"])
    app.run()
    expect(listing).to_be_hidden()
