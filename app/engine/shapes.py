"""Shape rules: broadcasting, its undoing for gradients, and sizes."""

import math

import numpy as np


class ShapeError(Exception):
    """Raised by an op's shape rule; the graph builder locates it at the node's span."""

    def __init__(self, msg, msg_ko):
        super().__init__(msg)
        self.msg = msg
        self.msg_ko = msg_ko


def fmt(shape):
    return "scalar" if not shape else "(" + "×".join(map(str, shape)) + ")"


def fmt_ko(shape):
    return "스칼라" if not shape else "(" + "×".join(map(str, shape)) + ")"


def size(shape):
    return math.prod(shape)


def broadcast(a, b):
    """numpy's broadcast of two shapes, computed without allocating anything."""
    if a == b:
        return a
    if not a:
        return b
    if not b:
        return a
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b):
        if x != y and x != 1 and y != 1:
            raise ShapeError(
                f"shapes {fmt(a)} and {fmt(b)} do not broadcast: sizes {x} and {y} differ "
                "and neither is 1",
                f"모양 {fmt_ko(a)}와 {fmt_ko(b)}는 브로드캐스트할 수 없습니다: "
                f"크기 {x}와 {y}가 다르고 어느 쪽도 1이 아닙니다",
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def unbroadcast(g, shape):
    """Sum a gradient over the axes broadcasting added or stretched, back to `shape`.

    A gradient smaller than the operand (a term that did not depend on all of its
    elements, like -log(p)/N for a broadcast target y) is first stretched to cover it.
    """
    if g.__class__ is float and not shape:
        return g
    g = np.asarray(g)
    if g.shape == shape:
        return g
    if not shape:
        return float(g.sum())
    if g.ndim < len(shape) or any(a < b for a, b in zip(g.shape[::-1], shape[::-1])):
        g = np.broadcast_to(g, np.broadcast_shapes(g.shape, shape)).copy()
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def columns(shape):
    """The number of samples N: samples are columns, so a matrix has shape[1], a vector 1."""
    return shape[1] if len(shape) == 2 else 1


def full(shape, fill):
    return float(fill) if not shape else np.full(shape, fill, dtype=np.float64)
