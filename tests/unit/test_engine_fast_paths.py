"""The engine's fast paths (issue 12, "faster than the tools it replaces") give exactly what
the plain code they stand for gives: node texts, edge records made in the backward pass,
the finiteness check; and the GC handling of a large evaluation (collector.py) leaves the
collector as it found it, with nothing left for it to scan."""

import gc

import numpy as np
import pytest

from app.engine import evaluate
from app.engine import autodiff, collector
from app.engine.trace import edge_records
from app.engine.writing import ELLIPSIS, MAX_TEXT, elide, render

# Spans with whitespace to collapse (tabs, runs of spaces, newlines inside parentheses),
# comments, statements, long spans, names and expansions.
TEXTS = [
    "(x+y)*z", "(x  +\ty) * z", "a = (x\n + y)\n a * (y  *  x)", "q = x*y # c\nq + (x*y)",
    "(x + y) ; (x * y) * 2", "sigmoid(x * y + 2)", "  ( x )  *  ( y )  ",
    "(" * 40 + "x" + " + y)" * 40, "s = " + " + ".join(f"x * {k}" for k in range(60)) + "\ns * y",
    "(x\t*\t(y\t+\t1)) - ((x  -  y))\n", "relu(x - 1) / (2.5 + relu(y))",
]
VALUES = {"x": 0.5, "y": -1.5, "z": 2.0}


def _reference_texts(g):
    """node_texts as first written: one small function per node, nothing inlined."""
    def source_text(start, end):
        if end - start > 128:
            text = f"{g.text[start:start + 128]} {ELLIPSIS} {g.text[end - 128:end]}"
        else:
            text = g.text[start:end]
        if not text.strip() or any(c in text for c in "#;=\n"):
            return None
        return " ".join(text.split())

    last_of_block = {block["id"]: i for i, block in enumerate(g.blocks) if block}
    whole = [""] * len(g)
    for i, op in enumerate(g.ops):
        if g.names[i]:
            whole[i] = g.names[i]
        elif op is None:
            whole[i] = g.labels[i]
        else:
            block, own = g.blocks[i], None
            if block is None or last_of_block[block["id"]] == i:
                own = source_text(*g.spans[i])
            text = own or render(op.written, [whole[j] for j in g.args[i]])
            whole[i] = text if len(text) <= 128 else elide(text, 128)
    return [elide(text, MAX_TEXT) for text in whole]


@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("text", TEXTS)
def test_node_texts_are_what_the_plain_code_writes(text, expand):
    r = evaluate(text, VALUES, expand=expand)
    assert [n["text"] for n in r.nodes] == _reference_texts(r.graph)


@pytest.mark.parametrize("text", TEXTS + ["W @ X + b", "x*x + x"])
def test_edge_records_of_the_backward_pass_are_the_plain_ones(text):
    values = {**VALUES, "W": [[1.0, 2.0], [3.0, -1.0]], "X": [[0.5], [2.0]], "b": 0.25}
    r = evaluate(text, values)
    assert r.edges == edge_records(r.graph, r.ids, r._contributions)
    assert [e["id"] for e in r.edges] == list(range(r.graph.edge_count))


@pytest.mark.parametrize("values", [
    [1.0, 2.5, -3.0], [1.0, float("nan")], [1.0, float("inf")], [1e300, 1e300],
    [1.0, np.array([1.0, np.inf])], [np.ones((2, 2)), 2.0], [np.float64(1.0), 2.0],
])
def test_the_finiteness_check_is_the_per_value_sum(values):
    def plain(values):
        try:
            with np.errstate(all="ignore"):
                total = sum(v if v.__class__ is float else float(np.sum(np.square(v)))
                            for v in values)
        except TypeError:
            return False
        return bool(np.isfinite(total))

    assert autodiff._all_finite(values) == plain(values)


def _generations_collected(run):
    """The generations of the collections that start while `run()` runs. After
    `gc.collect()` the GC's own young collection is of generation 0, while `quiet`'s
    collection of the caller's young objects is of generation 1."""
    started = []

    def note(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(note)
    try:
        run()
    finally:
        gc.callbacks.remove(note)
    return started


def test_a_large_evaluation_leaves_nothing_young_for_the_collector():
    """No young collection follows a large evaluation: what it made is in the oldest
    generation, not waiting in the young one (a 10,000-op program's records cost a ~15 ms
    collection there)."""
    text = "\n".join(f"s{k} = (x + {k}) * (y - s{k - 1})" if k else "s0 = x * y"
                     for k in range(600)) + "\ns599 * 2"

    def run():
        r = evaluate(text, VALUES)
        assert len(r.nodes) > 2_000 and r.edges and gc.isenabled()
        [[] for _ in range(100)]  # a few allocations: the collection would start here

    gc.collect()
    assert 0 not in _generations_collected(run)


def test_without_the_move_the_young_collection_comes():
    """The check above can fail: made with the GC merely paused, the objects are scanned by
    the first collection after it resumes."""
    def run():
        made = collector.quiet(lambda: [[] for _ in range(5_000)])
        [[] for _ in range(100)]
        assert len(made) == 5_000

    gc.collect()
    assert 0 in _generations_collected(run)


def test_the_collector_is_left_alone_when_the_caller_paused_it_or_froze_objects():
    made = []

    def build():
        made.extend([] for _ in range(5_000))
        return made

    gc.collect()
    gc.disable()
    try:
        collector.quiet(build, large=True)
        assert not gc.isenabled()
        assert gc.get_count()[0] >= 5_000  # not promoted: the caller's choice stands
    finally:
        gc.enable()

    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        collector.quiet(build, large=True)
        # Nothing thawed (that would empty the permanent generation); a few frozen objects
        # may have been freed meanwhile (other tests' leftovers going away), which is fine.
        assert gc.isenabled() and gc.get_freeze_count() > frozen * 0.9
    finally:
        gc.unfreeze()


def test_a_failing_build_restores_the_collector():
    def build():
        raise ValueError("no")

    with pytest.raises(ValueError):
        collector.quiet(build, large=True)
    assert gc.isenabled()
