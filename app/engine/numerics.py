"""Two math namespaces with one interface: Python floats (fast) and numpy arrays.

Ops are written once as `forward(m, a, b)` against this interface. Scalar nodes run with
`ScalarMath` on plain floats, which is several times faster than numpy scalars. Where
Python raises instead of returning inf/nan as numpy does (0/0, math.log(0), overflow, a
complex power), the caller catches `FALLBACK_ERRORS` and re-runs that one node with
`ArrayMath`, so both paths give numpy's IEEE results.
"""

import math

import numpy as np

FALLBACK_ERRORS = (ArithmeticError, ValueError)


class ScalarMath:
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tanh = staticmethod(math.tanh)
    abs = staticmethod(abs)

    @staticmethod
    def power(a, b):
        r = a**b
        if r.__class__ is complex:  # numpy answers nan for a negative base, fractional power
            raise ValueError
        return r

    @staticmethod
    def pow_da(a, b):
        return 0.0 if b == 0 else b * ScalarMath.power(a, b - 1.0)

    @staticmethod
    def pow_db(a, b, out):
        # d a^b / d b = a^b ln a, with ln|a|: for a < 0, a^b is real only at integer b, and
        # there a^b ln|a| is the derivative of its real continuation Re(a^b) = |a|^b cos πb
        # (elsewhere the value is nan, and so is this). 0 at a = 0, b > 0, as PyTorch does.
        return 0.0 if a == 0 and b > 0 else out * math.log(abs(a))

    @staticmethod
    def sign(a):
        return 1.0 if a > 0 else -1.0 if a < 0 else a * 0.0  # keeps nan

    @staticmethod
    def maximum(a, b):
        return a if a >= b else b if b > a else a + b  # a + b: nan if either is nan

    @staticmethod
    def minimum(a, b):
        return a if a <= b else b if b < a else a + b

    @staticmethod
    def tie(a, b):
        """d max(a, b) / d a: 1 where a wins, ½ at an exact tie, else 0."""
        return 1.0 if a > b else 0.5 if a == b else 0.0

    @staticmethod
    def step(a):
        return 1.0 if a > 0 else 0.0

    @staticmethod
    def relu(a):
        return a if a > 0 else 0.0 if a <= 0 else a

    @staticmethod
    def sigmoid(u):
        return 1.0 / (1.0 + math.exp(-u))


class ArrayMath:
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    power = staticmethod(np.power)
    sign = staticmethod(np.sign)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)

    @staticmethod
    def pow_da(a, b):
        return np.where(b == 0, 0.0, b * np.power(a, b - 1.0))

    @staticmethod
    def pow_db(a, b, out):
        return np.where((a == 0) & (b > 0), 0.0, out * np.log(np.abs(a)))

    @staticmethod
    def tie(a, b):
        return (a > b) + 0.5 * (a == b)

    @staticmethod
    def step(a):
        return (a > 0) * 1.0

    @staticmethod
    def relu(a):
        return np.maximum(a, 0.0)

    @staticmethod
    def sigmoid(u):
        if not np.ndim(u):  # a numpy scalar, from the scalar path's fallback
            return 1.0 / (1.0 + np.exp(-u))
        s = np.exp(-u)  # then in place: one temporary instead of four
        s += 1.0
        return np.reciprocal(s, out=s)


def is_finite(v):
    return math.isfinite(v) if v.__class__ is float else bool(np.isfinite(v).all())


def non_finite_kind(v):
    """'NaN', 'Infinity' or '-Infinity': the first non-finite number in v (for warnings)."""
    if v.__class__ is not float:
        v = float(np.asarray(v)[~np.isfinite(v)].flat[0])
    return "NaN" if v != v else "Infinity" if v > 0 else "-Infinity"
