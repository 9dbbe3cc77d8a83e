"""Names the page must not mistake for JavaScript's own (constructor, toString, …), names in
any script, and share links it must survive (values written as numbers, links cut short,
garbage, `__proto__` keys): the page always finishes loading, Run works, and the link is
either restored or refused with a message in the page's language."""

import pytest

from pagekit import HANGUL, MINUS, css_string, expect, share_hash, shown_steps

# Object.prototype's members the engine accepts as variable names (it reserves only "__…").
PROTOTYPE_NAMES = ["constructor", "toString", "hasOwnProperty", "valueOf"]
MORE_PROTOTYPE_NAMES = ["isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "_proto"]

BROKEN_ENGLISH = "This share link could not be opened"


def shown(x: float) -> str:
    """How the graph labels a variable's value or a gradient (integers here): "+3", "−2", "0"."""
    assert x == int(x), x
    n = int(x)
    return f"+{n}" if n > 0 else f"{MINUS}{-n}" if n < 0 else "0"


def plain(x: float) -> str:
    """formatNumber for the integers used here: "3", "−2"."""
    return shown(x).lstrip("+")


def node_named(app, name: str):
    return app.page.locator(f"[data-testid=node][data-name={css_string(name)}]")


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("name", PROTOTYPE_NAMES)
def test_a_prototype_member_is_a_variable_like_any_other(app, new_app, name):
    other_name = PROTOTYPE_NAMES[(PROTOTYPE_NAMES.index(name) + 1) % len(PROTOTYPE_NAMES)]
    a, b = 3.0, -2.0  # name, other_name
    q = a * b
    f = q + a * a
    grad_a, grad_b = b + 2 * a, a  # ∂f/∂name, ∂f/∂other_name

    # The values editor lists both names, with the default value, and edits them.
    app.type_expression(f"q = {name} * {other_name}\nf = q + {name} * {name}",
                        variables=[name, other_name])
    expect(app.value_input(name)).to_have_value("1")
    expect(app.value_input(other_name)).to_have_value("1")
    app.set_value(name, "3")
    app.set_value(other_name, "-2")
    graph = app.run()
    assert graph["value"] == f and graph["gradients"] == {name: grad_a, other_name: grad_b}
    expect(app.error_el).to_have_text("")

    # The graph shows the values and gradients once everything has been computed.
    app.blur()
    app.key("End")
    n = len(shown_steps(graph))
    app.expect_counter(n, n)
    got = app.node_by_name(name)
    assert (float(got["value"]), float(got["grad"])) == (a, grad_a), got
    assert (got["shown_value"], got["shown_grad"]) == (shown(a), shown(grad_a)), got
    got = app.node_by_name(other_name)
    assert (got["shown_value"], got["shown_grad"]) == (shown(b), shown(grad_b)), got
    assert app.node_by_name("q")["shown_value"] == f"q = {plain(q)}"
    assert app.node_by_name("f")["shown_value"] == f"f = {plain(f)}"

    # The tooltip: the node's value, gradient and the sum of what its consumers sent back.
    node_named(app, name).hover()
    tip = app.page.locator("#tooltip")
    expect(tip).to_be_visible()
    expect(tip.locator("strong")).to_have_text(name)
    expect(tip).to_contain_text(f"Value: {plain(a)}")
    expect(tip).to_contain_text(f"Gradient: {plain(grad_a)}")
    expect(tip).to_contain_text(f"\u2202f/\u2202{name} = ")
    assert tip.text_content().endswith(f"= {plain(grad_a)}"), tip.text_content()

    # The gradient check lists both names with their backprop gradients.
    with app.page.expect_response(lambda r: r.url.endswith("/api/gradcheck")):
        app.testid("gradcheck-button").click()
    rows = app.testid("gradcheck-result").locator("tr[data-variable]")
    expect(rows).to_have_count(2)
    assert [r.locator("td").all_text_contents()[:2] for r in rows.all()] == [
        [name, plain(grad_a)], [other_name, plain(grad_b)]]

    # The training panel offers both as parameters.
    expect(app.testid(f"train-param-{name}")).to_have_count(1)
    expect(app.testid(f"train-param-{other_name}")).to_have_count(1)

    # The share link carries the names and values to a fresh page, at the same step.
    other = new_app()
    other.open(app.share_link())
    expect(other.value_input(name)).to_have_value("3")
    expect(other.value_input(other_name)).to_have_value("-2")
    other.expect_counter(n, n)
    assert other.node_by_name(name)["shown_grad"] == shown(grad_a)
    expect(other.share_notice).to_be_hidden()
    assert other.run()["value"] == f


def test_all_accepted_prototype_names_at_once(app):
    names = PROTOTYPE_NAMES + MORE_PROTOTYPE_NAMES
    v = [2, 3, -4, 5, -1, 6, 7, -3]
    f = v[0] * v[1] + v[2] - v[3] + v[4] * v[5] - v[6] * v[7]
    grads = [v[1], v[0], 1, -1, v[5], v[4], -v[7], -v[6]]
    a, b, c, d, e, g, h, k = names
    app.type_expression(f"{a} * {b} + {c} - {d} + {e} * {g} - {h} * {k}", variables=names)
    for name, value in zip(names, v):
        app.set_value(name, str(value))
    graph = app.run()
    assert graph["value"] == f
    assert graph["gradients"] == dict(zip(names, grads))
    app.blur()
    app.key("End")
    for name, value, grad in zip(names, v, grads):
        got = app.node_by_name(name)
        assert (float(got["value"]), float(got["grad"])) == (value, grad), got


def test_names_in_any_script_survive_the_editor_and_the_share_link(new_app):
    """Soon names follow Python's rule (가중치, θ). Until the engine takes them, the link
    still restores them into the values editor (with the engine's error shown); once it
    does, the graph runs. Either way nothing in the page assumes ASCII names."""
    names = {"가중치": "2", "θ": "3", "x": "-1"}
    app = new_app()
    app.guard.allow_http_error("/api/parse", 422)
    app.guard.allow_http_error("/api/graph", 422)
    with app.page.expect_response(lambda r: r.url.endswith("/api/parse")) as resp:
        app.open(app.server.url("/") + share_hash(
            {"v": 1, "expression": "가중치 * θ + x", "values": names, "step": 0}))
    for name, text in names.items():
        expect(app.value_input(name)).to_have_value(text)
    expect(app.share_notice).to_be_hidden()
    if resp.value.ok:  # the engine takes them: the graph runs with these names
        app.set_value("θ", "5")
        assert app.run()["value"] == 2 * 5 - 1
        assert app.node_by_name("가중치")["grad"] == "5"
    else:
        expect(app.error_el).not_to_have_text("")
        app.set_value("θ", "5")

    other = new_app()
    other.guard.allow_http_error("/api/parse", 422)
    other.guard.allow_http_error("/api/graph", 422)
    other.open(app.share_link())
    for name, text in {**names, "θ": "5"}.items():
        expect(other.value_input(name)).to_have_value(text)
    expect(other.share_notice).to_be_hidden()


# ------------------------------------------------------------------ share links


def test_values_written_as_numbers_are_restored(new_app):
    app = new_app()
    app.open(app.server.url("/") + share_hash(
        {"v": 1, "expression": "x * y + z", "values": {"x": 3, "y": -2, "z": 0.5},
         "outputGrad": None, "expand": False, "step": 3, "lang": "en"}))
    expect(app.expression).to_have_value("x * y + z")
    for name, text in {"x": "3", "y": "-2", "z": "0.5"}.items():
        expect(app.value_input(name)).to_have_value(text)
    n = app.counter()[1]
    assert n > 3
    app.expect_counter(3, n)
    expect(app.share_notice).to_be_hidden()
    expect(app.error_el).to_have_text("")
    assert app.run()["value"] == 3 * -2 + 0.5


def test_a_prototype_name_as_a_json_key_is_just_a_name(new_app):
    app = new_app()
    app.open(app.server.url("/") + share_hash(
        {"expression": "constructor + toString", "values": {"constructor": 2, "toString": "5"}}))
    expect(app.value_input("constructor")).to_have_value("2")
    expect(app.value_input("toString")).to_have_value("5")
    expect(app.share_notice).to_be_hidden()
    assert app.run()["value"] == 7


def valid_link(expression="x * y", values=None) -> str:
    return share_hash({"v": 1, "expression": expression, "values": values or {"x": "2", "y": "3"},
                       "outputGrad": "", "expand": False, "step": 2, "lang": "en"})


BROKEN = {
    "truncated": valid_link()[:30],
    "cut mid-character": share_hash('{"v": 1, "expression": "가중치"}')[:-1],
    "not base64": "#s=%%%this is not a link%%%",
    "not json": share_hash("not json at all"),
    "a list": share_hash("[1, 2, 3]"),
    "nested arrays": share_hash({"expression": "x", "values": {"x": [[[1]]]}}),
    "huge number": share_hash('{"expression": "x", "step": 1e999}'),
    "step not an integer": share_hash({"expression": "x", "step": 2.5}),
    "__proto__ at the top": share_hash('{"__proto__": {"expression": "evil", "polluted": true}, '
                                       '"expression": "x + 1"}'),
    "__proto__ in values": share_hash('{"expression": "x + 1", '
                                      '"values": {"x": "2", "__proto__": {"polluted": true}}}'),
}


@pytest.mark.parametrize("hash_", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_link_says_so_and_the_page_still_works(new_app, hash_):
    app = new_app()
    app.open(app.server.url("/") + hash_)
    expect(app.share_notice).to_be_visible()
    expect(app.share_notice).to_contain_text(BROKEN_ENGLISH)
    # Nothing of the link was applied: the default example is loaded instead, and runs.
    first = app.page.evaluate(
        "fetch('/api/examples').then(r => r.json()).then(e => e.find(x => x.default).expression)")
    expect(app.expression).to_have_value(first)
    expect(app.page.locator("[data-testid=node]").first).to_be_attached()
    assert app.page.evaluate(
        "({}).polluted === undefined && Object.prototype.expression === undefined")
    graph = app.run()
    assert graph["nodes"], graph
    expect(app.error_el).to_have_text("")
    expect(app.share_notice).to_be_visible()  # a good run does not hide why the link failed


def test_the_broken_link_message_in_english_and_korean(new_app, shots):
    hash_ = BROKEN["truncated"]
    en = new_app()
    en.open(en.server.url("/") + hash_)
    expect(en.share_notice).to_have_text(
        "This share link could not be opened: it is damaged or incomplete. "
        "Check that the whole link was copied.")
    en.shot(shots / "share-broken-en.png")

    ko = new_app(locale="ko-KR")
    ko.open(ko.server.url("/") + hash_)
    expect(ko.page.locator("html")).to_have_attribute("lang", "ko")
    expect(ko.share_notice).to_be_visible()
    korean = ko.share_notice.text_content()
    assert HANGUL.search(korean) and "공유 링크" in korean, korean
    ko.shot(shots / "share-broken-ko.png")

    # The message follows the language switch, and goes once the user moves on.
    ko.testid("lang-toggle").click()
    expect(ko.share_notice).to_contain_text(BROKEN_ENGLISH)
    ko.type_expression("a * b", variables=["a", "b"])
    expect(ko.share_notice).to_be_hidden()
    assert ko.run()["value"] == 1


def test_a_link_the_engine_refuses_restores_and_shows_the_engines_error(new_app):
    """A well-formed link whose expression does not parse is restored as it is (the user
    can fix it); the error is the engine's, located, and the link message stays away."""
    app = new_app()
    app.guard.allow_http_error("/api/parse", 422)
    app.guard.allow_http_error("/api/graph", 422)
    app.open(app.server.url("/")
             + share_hash({"expression": "(x + y))", "values": {"x": "1", "y": "2"}}))
    expect(app.expression).to_have_value("(x + y))")
    expect(app.error_el).not_to_have_text("")
    expect(app.share_notice).to_be_hidden()
    app.type_expression("(x + y)", variables=["x", "y"])
    expect(app.value_input("y")).to_have_value("2")
    assert app.run()["value"] == 3


def test_a_state_too_large_for_a_link_leaves_no_broken_link(app, new_app):
    """A pasted vector too long for a link: the address keeps no link the page could not
    reopen, and "Copy link" says why it copied nothing."""
    app.type_expression("x * 2", variables=["x"])
    app.set_value("x", "[" + ", ".join(["0.123456789"] * 7000) + "]")  # ~90,000 characters
    app.run()
    app.page.locator("#share").click()
    expect(app.page.locator("#share")).to_have_text("Too large for a link")
    app.page.wait_for_function("() => location.hash === ''")
    expect(app.page.locator("#share")).to_have_text("Copy link")

    other = new_app()
    other.open(app.page.url)  # what the address bar holds: the page without a link
    expect(other.share_notice).to_be_hidden()
    assert other.run()["nodes"]
