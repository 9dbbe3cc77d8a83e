"""The page on a phone, and with the keyboard alone."""

from pagekit import expect

PHONE = {"width": 390, "height": 844}

FOCUS_JS = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {tag: el.tagName, id: el.id || '',
            testid: el.getAttribute('data-testid') || '',
            nodeId: el.getAttribute('data-node-id') || '',
            outline: style.outlineStyle, outlineWidth: style.outlineWidth};
}"""


def test_phone_viewport(new_app, shots):
    app = new_app(viewport=PHONE, is_mobile=True, has_touch=True)
    app.open()
    widths = app.page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        wide: [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5
                          && getComputedStyle(el).position !== 'fixed'
                          && !el.closest('.sr-only, svg'))
            .map(el => (el.id ? '#' + el.id : el.tagName.toLowerCase())
                       + ' right=' + Math.round(el.getBoundingClientRect().right))
            .slice(0, 10),
    })""")
    app.shot(shots / "phone.png", full_page=True)
    assert widths["scroll"] <= PHONE["width"], widths

    run_button = app.testid("run-button")
    run_button.scroll_into_view_if_needed()
    expect(run_button).to_be_visible()
    expect(run_button).to_be_in_viewport()
    box = run_button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    app.run(lambda: run_button.tap())
    expect(app.error_el).to_have_text("")


def test_keyboard_reaches_run_and_the_graph(app, shots):
    seen = []
    run_focus = node_focus = None
    for _ in range(80):
        app.key("Tab")
        focus = app.page.evaluate(FOCUS_JS)
        seen.append(focus["testid"] or focus["id"] or focus["tag"])
        if focus["testid"] == "run-button" and run_focus is None:
            run_focus = focus
        if focus["testid"] == "node":
            node_focus = focus
            break
    assert run_focus is not None, f"Tab never reached the Run button: {seen}"
    assert node_focus is not None, f"Tab never reached a graph node: {seen}"
    assert seen.index("run-button") < seen.index("node")
    app.page.locator(".graph-wrap").screenshot(path=str(shots / "keyboard-focus.png"))
    for focus in (run_focus, node_focus):
        assert focus["outline"] != "none" and focus["outlineWidth"] != "0px", focus

    # Enter on a focused node opens its details.
    app.key("Enter")
    expect(app.page.locator("#details-card")).to_be_visible()


def test_the_guard_sees_what_it_must(app):
    """The watch every test relies on: a thrown error, a console error, a dialog and a
    request to another host are all reported (then cleared, so this test passes). The
    page's CSP stops fetch() to other hosts before any request, so the foreign request
    here is a navigation (aborted by the route in conftest: nothing leaves the machine)."""
    app.page.evaluate("""() => {
        setTimeout(() => { throw new Error('guard-check-throw'); });
        console.error('guard-check-console');
        setTimeout(() => alert('guard-check-dialog'));
    }""")
    app.page.wait_for_timeout(200)
    app.page.evaluate("location.href = 'http://example.com/guard-check'")
    app.page.wait_for_timeout(300)
    problems = "\n".join(app.guard.flush())
    for needle in ("uncaught page error: guard-check-throw", "console error: guard-check-console",
                   "request leaving the origin: GET http://example.com/guard-check",
                   "a dialog opened: alert 'guard-check-dialog'"):
        assert needle in problems, problems
