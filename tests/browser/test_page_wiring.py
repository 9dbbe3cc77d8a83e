"""Clean wiring on every preset, as drawn in the page at 1400×900: no two labels overlap, no
label lies on a node's box (or a tensor's heatmap), and no wire passes through a node other
than its own source and target. Checked with everything shown (the timeline's end) and at
every step, when a wire shows the gradient it carries; failures list the offending pairs."""

import pytest

from app.examples import EXAMPLES

# In the page (client coordinates, so the zoom does not matter). `gradOnly`: check just the
# wires' gradient labels (the ones a step shows) against everything else.
CHECK_JS = """({gradOnly, checkWires}) => {
  const svg = document.querySelector('[data-testid=graph]');
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const hit = (a, b, tol) => a[0] < b[2] - tol && b[0] < a[2] - tol && a[1] < b[3] - tol && b[1] < a[3] - tol;
  const round = (b) => '[' + b.map((v) => Math.round(v)).join(', ') + ']';
  const nodes = [...svg.querySelectorAll('g.node')].map((g) => ({
    id: g.dataset.nodeId, name: g.dataset.name || g.querySelector('.symbol')?.textContent,
    box: box(g.querySelector('.shape')), heats: [...g.querySelectorAll(':scope > g.heat')].map(box),
  }));
  const labels = [];
  for (const g of svg.querySelectorAll('g.node')) {
    for (const t of g.querySelectorAll(':scope > text')) {
      if (t.classList.contains('symbol') || !t.textContent.trim()) continue;
      labels.push({owner: 'node ' + g.dataset.nodeId, box: box(t),
                   what: `${t.classList[0]} "${t.textContent}" of node ${g.dataset.nodeId}`});
    }
  }
  for (const g of svg.querySelectorAll('g.edge')) {
    const e = g.querySelector('path.wire').__data__;
    for (const t of g.querySelectorAll(':scope > text')) {
      if (!t.textContent.trim()) continue;
      labels.push({owner: 'edge ' + e.id, box: box(t), grad: t.classList.contains('wire-grad'), text: t.textContent,
                   what: `${t.classList[0]} "${t.textContent}" of edge ${e.id} (${e.source}->${e.target})`});
    }
  }
  for (const t of svg.querySelectorAll('.block-label')) {
    labels.push({owner: 'block ' + t.textContent, box: box(t), what: `block label "${t.textContent}"`});
  }
  // x*x: the two wires share their way up to one label spot, so its text is drawn twice in
  // one place, which reads as one label.
  const same = (a, b) => a.text === b.text && a.box.every((v, i) => Math.abs(v - b.box[i]) < 0.5);
  const problems = [];
  const checked = gradOnly ? labels.filter((l) => l.grad) : labels;
  for (const a of checked) {
    for (const b of labels) {
      if (a === b || a.owner === b.owner || same(a, b)
          || (!gradOnly && labels.indexOf(b) < labels.indexOf(a))) continue;
      if (hit(a.box, b.box, 0.5)) problems.push(`label on label: ${a.what} ${round(a.box)} / ${b.what} ${round(b.box)}`);
    }
    for (const n of nodes) {
      if (hit(a.box, n.box, 0.5)) problems.push(`label on node: ${a.what} ${round(a.box)} / node ${n.id} (${n.name}) ${round(n.box)}`);
      if ('node ' + n.id === a.owner) continue;
      for (const h of n.heats) {
        if (hit(a.box, h, 0.5)) problems.push(`label on heatmap: ${a.what} / heatmap of node ${n.id} (${n.name})`);
      }
    }
  }
  if (checkWires) {
    for (const path of svg.querySelectorAll('path.wire')) {
      const e = path.__data__;
      const ctm = path.getScreenCTM();
      const total = path.getTotalLength();
      const seen = new Set();
      for (let l = 0; l <= total; l += 2) {
        const p = new DOMPoint(path.getPointAtLength(l).x, path.getPointAtLength(l).y).matrixTransform(ctm);
        for (const n of nodes) {
          if (n.id === e.source || n.id === e.target || seen.has(n.id)) continue;
          const inside = (b) => p.x > b[0] + 1 && p.x < b[2] - 1 && p.y > b[1] + 1 && p.y < b[3] - 1;
          if (inside(n.box) || n.heats.some(inside)) {
            seen.add(n.id);
            problems.push(`wire through node: edge ${e.id} (${e.source}->${e.target}) crosses node ${n.id} (${n.name}) at (${Math.round(p.x)}, ${Math.round(p.y)})`);
          }
        }
      }
    }
  }
  return problems;
}"""

STEP_ALL_JS = f"""async (n) => {{
  const check = {CHECK_JS};
  const counter = document.querySelector('[data-testid=step-counter]');
  const problems = [];
  for (let k = 1; k <= n; k += 1) {{
    document.dispatchEvent(new KeyboardEvent('keydown', {{key: 'ArrowRight', bubbles: true}}));
    await new Promise((done) => requestAnimationFrame(() => done()));
    if (counter.textContent.trim() !== `${{k}} / ${{n}}`) {{
      problems.push(`step ${{k}}: the counter reads ${{counter.textContent}}`);
      break;
    }}
    for (const p of check({{gradOnly: true, checkWires: false}})) problems.push(`step ${{k}}: ${{p}}`);
  }}
  return problems;
}}"""

# Each preset as it comes and expanded, in one page (a new page per case doubled the time).
CASES = {}
for ex in EXAMPLES:
    CASES[ex["id"]] = [False] if ex.get("expand") else [False, True]


def case_id(example_id, expand):
    return f"{example_id}+expand" if expand else example_id

# Readable at size: the graph as it opens (framed by the page) lies whole inside the canvas
# and its smallest text is at least 11 px on screen (what it measured is returned).
READABLE_JS = """() => {
  const svg = document.querySelector('[data-testid=graph]');
  const canvas = svg.parentElement.getBoundingClientRect();
  const drawn = svg.querySelector('.zoom-layer').getBoundingClientRect();
  let smallest = Infinity, text = '';
  for (const t of svg.querySelectorAll('text')) {
    if (!t.textContent.trim() || !t.getBoundingClientRect().width) continue;
    const px = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
    if (px < smallest) [smallest, text] = [px, t.textContent];
  }
  const inside = drawn.left >= canvas.left - 0.5 && drawn.right <= canvas.right + 0.5
    && drawn.top >= canvas.top - 0.5 && drawn.bottom <= canvas.bottom + 0.5;
  return {smallest, text, inside, drawn: [drawn.left, drawn.top, drawn.right, drawn.bottom].map(Math.round),
          canvas: [canvas.left, canvas.top, canvas.right, canvas.bottom].map(Math.round)};
}"""


def show(app, example_id: str, expand: bool):
    selected = app.page.evaluate("document.querySelector('[data-testid=examples]').value")
    if selected != example_id:
        app.choose_example(example_id)
    if expand:
        app.run(lambda: app.page.locator("#expand").check())


def wiring_problems(app, shots, example_id, expand):
    show(app, example_id, expand)
    app.blur()
    app.key("End")
    _, n = app.counter()
    app.expect_counter(n, n)
    tag = f"wiring-{case_id(example_id, expand)}"
    # Every preset as it comes opens whole and readable; expanded by the user, a graph may
    # be too big for that and then opens readable on its output's end (README).
    size = app.page.evaluate(READABLE_JS)
    problems = [] if (size["inside"] or expand) and size["smallest"] >= 10.95 else [
        f"{tag} is not readable at 1400x900 as it opens: smallest text {size['smallest']:.2f} px "
        f"({size['text']!r}), drawing {size['drawn']} in canvas {size['canvas']}"]
    app.page.locator(".graph-wrap").screenshot(path=str(shots / f"{tag}.png"))
    problems += [f"{tag} at the end: {p}" for p in
                 app.page.evaluate(CHECK_JS, {"gradOnly": False, "checkWires": True})]

    # Every step: the gradient a wire carries is shown on it while that step is current.
    # The steps are walked inside the page (a key event, a frame, the check), one round trip
    # per preset instead of three per step.
    app.key("Home")
    app.expect_counter(0, n)
    problems += [f"{tag} {p}" for p in app.page.evaluate(STEP_ALL_JS, n)]
    app.expect_counter(n, n)
    if expand:  # leave the page as the next preset expects it
        app.run(lambda: app.page.locator("#expand").uncheck())
    return problems


@pytest.mark.parametrize("example_id", list(CASES))
def test_preset_wiring_is_clean(app, shots, example_id):
    problems = []
    for expand in CASES[example_id]:
        problems += wiring_problems(app, shots, example_id, expand)
    assert not problems, f"{len(problems)} problems:\n  " + "\n  ".join(dict.fromkeys(problems))
