"""Keeping Python's cyclic garbage collector out of the engine's way.

An evaluation makes tens of thousands of small objects (a 10,000-op program: ~80,000
tuples, lists and dicts) and no reference cycles, so the collector can find nothing in
them. Left running, it rescans the growing heap over and over while they are made; merely
paused, it scans them all once when it resumes (a generation-0 collection the first time
anything is allocated afterwards: ~15 ms for a 10,000-op program, paid by whatever runs
next). So `quiet` pauses it, and after a large build moves what was made straight to the
oldest generation, which only a full collection scans (the records are freed by reference
counting when the result is dropped, like any acyclic object).

`gc.freeze()` then `gc.unfreeze()` is that move: the first puts every tracked object in the
permanent generation and resets the young generations' count, the second puts them all in
the oldest generation (two list splices). Only the objects made during the build should
make that move, so the young generations are collected first (cheap: they hold only what
the caller made since its last collection), and nothing is done when the caller paused the
collector itself or froze objects of its own (unfreezing would thaw them).
"""

import gc


def quiet(build, large=False):
    """`build()` with the cyclic GC paused; `large`: it makes many objects (see above)."""
    was_enabled = gc.isenabled()
    promote = large and was_enabled and gc.get_freeze_count() == 0
    if promote:
        gc.collect(1)
    gc.disable()
    try:
        made = build()
        if promote:
            gc.freeze()
            gc.unfreeze()
        return made
    finally:
        if was_enabled:
            gc.enable()
