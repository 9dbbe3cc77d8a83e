"""Korean renders everywhere: in a browser that sees no Korean system font (fontconfig told
to reject every font covering Korean, as on a bare machine), Hangul is drawn with the
vendored Pretendard webfont (static/vendor/pretendard), served by our own server, and a page
downloads only the unicode-range subsets holding the Hangul it shows."""

import os
import re
import subprocess

import pytest
from conftest import GUARDS
from pagekit import CHROMIUM, CHROMIUM_ARGS, HANGUL, App, PageGuard, expect

FONT = "Pretendard Variable"
SUBSETS = "/static/vendor/pretendard/woff2-dynamic-subset/"

FACES_JS = """family => [...document.fonts]
    .filter(f => f.family.replace(/["']/g, '') === family)
    .map(f => ({status: f.status, range: f.unicodeRange}))"""

# Every Hangul syllable the page shows, as one string (what must be drawn with the webfont).
SHOWN_HANGUL_JS = "() => [...new Set(document.body.innerText.match(/[\\uac00-\\ud7a3]/g))].join('')"


def korean_font_files() -> list[str]:
    listed = subprocess.run(["fc-list", ":lang=ko", "-f", "%{file}\n"], check=True,
                            capture_output=True, text=True).stdout
    return sorted(set(listed.split()))


@pytest.fixture(scope="module")
def browser_without_korean(browser, tmp_path_factory):
    """A second chromium whose fontconfig rejects every font that covers Korean."""
    conf = tmp_path_factory.mktemp("fontconfig") / "fonts.conf"
    globs = "".join(f"<glob>{path}</glob>" for path in korean_font_files())
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
                    "<fontconfig><include>/etc/fonts/fonts.conf</include>"
                    f"<selectfont><rejectfont>{globs}</rejectfont></selectfont></fontconfig>")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    left = subprocess.run(["fc-list", ":lang=ko"], env=env, check=True, capture_output=True,
                          text=True).stdout
    assert left.strip() == "", f"fonts covering Korean still visible: {left}"
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
    yield b
    b.close()


@pytest.fixture
def bare_app(request, server, browser_without_korean):
    """A guarded page in the browser without Korean fonts; `.font_responses` lists the
    (path, status) of every webfont file it fetched."""
    context = browser_without_korean.new_context(viewport={"width": 1400, "height": 900},
                                                 locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    guard = PageGuard(server.port)
    guard.attach(context, page)
    context.route(lambda url: not guard.is_local(url), lambda route: route.abort("blockedbyclient"))
    request.node.stash.setdefault(GUARDS, []).append(guard)
    app = App(page, server, guard)
    app.font_responses = []
    page.on("response", lambda r: app.font_responses.append((r.url, r.status))
            if SUBSETS in r.url else None)
    yield app
    context.close()


def parse_ranges(unicode_range: str) -> list[tuple[int, int]]:
    """"U+AC00, U+B824-B825" -> [(0xAC00, 0xAC00), (0xB824, 0xB825)]."""
    ranges = []
    for part in re.findall(r"U\+([0-9a-fA-F]+)(?:-([0-9a-fA-F]+))?", unicode_range):
        lo = int(part[0], 16)
        ranges.append((lo, int(part[1], 16) if part[1] else lo))
    return ranges


def covers(unicode_range: str, text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in parse_ranges(unicode_range))


def wait_for_hangul_faces(page):
    """Until every subset of the webfont that holds a Hangul syllable shown is loaded."""
    page.wait_for_function(
        f"""() => {{
            const text = ({SHOWN_HANGUL_JS})();
            return text && document.fonts.check('15px "{FONT}"', text);
        }}""")


def platform_fonts(page, selector: str) -> list[dict]:
    """The fonts chromium really drew an element's text with (DevTools protocol)."""
    return drawn_with(page, selector)[0][1]


def drawn_with(page, selector: str) -> list[tuple[str, list[dict]]]:
    """(outer HTML, fonts chromium really drew its text with) for each element matching
    `selector`, from the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
    assert nodes, f"no element matches {selector}"
    found = [(cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"].split(">")[0],
              cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]) for node in nodes]
    cdp.detach()
    return found


def hangul_without_webfont(page) -> list[tuple[str, list[dict]]]:
    """Every shown element with Hangul of its own whose Hangul was not all drawn with the
    webfont (the system fonts here have no Hangul: they would draw boxes)."""
    page.evaluate("""() => { for (const el of document.querySelectorAll('body *')) {
        delete el.dataset.own;
        const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join('');
        if (/[\uac00-\ud7a3]/.test(own) && el.getClientRects().length) el.dataset.own = own; } }""")
    bad = []
    for html, fonts in drawn_with(page, "[data-own]"):
        own = re.search(r'data-own="([^"]*)"', html).group(1)
        hangul = len(HANGUL.findall(own))
        webfont = sum(f["glyphCount"] for f in fonts if f["familyName"] == FONT)
        if webfont < hangul:
            bad.append((html, fonts))
    return bad


def test_korean_is_drawn_with_the_vendored_font(bare_app, shots):
    app = bare_app.open()
    app.testid("lang-toggle").click()
    expect(app.page.locator("html")).to_have_attribute("lang", "ko")
    run_button = app.testid("run-button")
    expect(run_button).not_to_have_text("Run")
    assert HANGUL.search(run_button.text_content())
    wait_for_hangul_faces(app.page)

    # Every Hangul text on the page comes from the webfont; Latin stays with system fonts.
    assert hangul_without_webfont(app.page) == []
    assert [f["familyName"] for f in platform_fonts(app.page, "[data-testid=run-button]")] == [FONT]
    assert FONT not in [f["familyName"] for f in platform_fonts(app.page, ".footer a")]

    # A Korean variable name in the graph (the monospace stack) too.
    app.type_expression("가중치", variables=["가중치"])  # valid at every keystroke
    app.set_value("가중치", "3")
    app.run()
    wait_for_hangul_faces(app.page)
    fonts = platform_fonts(app.page, "[data-testid=node][data-name='가중치'] text.symbol")
    assert [f["familyName"] for f in fonts] == [FONT], fonts
    assert hangul_without_webfont(app.page) == []
    app.shot(shots / "korean-webfont.png", full_page=True)

    # The faces in use were fetched from our own server (the guard fails any other origin).
    assert app.font_responses, "no webfont file was fetched"
    assert all(status == 200 for _, status in app.font_responses), app.font_responses
    loaded = [f for f in app.page.evaluate(FACES_JS, FONT) if f["status"] == "loaded"]
    assert len(loaded) == len(app.font_responses), (loaded, app.font_responses)


def test_an_english_page_fetches_only_the_subsets_it_shows(bare_app, shots):
    app = bare_app.open()
    expect(app.page.locator("html")).to_have_attribute("lang", "en")
    shown = app.page.evaluate(SHOWN_HANGUL_JS)
    assert shown == "한국어", shown  # the language toggle, in its own language
    wait_for_hangul_faces(app.page)
    assert hangul_without_webfont(app.page) == []
    assert FONT not in [f["familyName"] for f in platform_fonts(app.page, "[data-testid=run-button]")]
    app.page.locator(".toolbar").screenshot(path=str(shots / "english-toolbar.png"))

    faces = app.page.evaluate(FACES_JS, FONT)
    assert len(faces) > 80, len(faces)  # the whole font is on offer, split by unicode-range
    loaded = [f["range"] for f in faces if f["status"] != "unloaded"]
    assert loaded and len(loaded) <= len(shown), loaded
    assert all(covers(r, shown) for r in loaded), loaded
    assert len(app.font_responses) == len(loaded), app.font_responses
    assert all(status == 200 for _, status in app.font_responses), app.font_responses
