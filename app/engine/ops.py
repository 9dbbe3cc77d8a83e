"""The op registry: one entry per op holds everything about it.

An elementwise op gives `forward(m, *args)` and, per argument, its local derivative
`local[k](m, *args, out)`; `m` is `ScalarMath` or `ArrayMath` (see numerics.py), so one
lambda serves floats and arrays. Other ops give a vector-Jacobian product
`vjp(g, args, out) -> one gradient per argument`, already shaped like the argument.
A composite op also gives `expand(em, *inputs)`, its primitive subgraph. Its cost rules,
`flops` and `scratch` (the temporaries it allocates), feed the limits checked before anything
is computed (graph.py). How it reads: `written` (how a node of it is written, which parses
back), `derivative` (each local derivative as text), its gate's sentences (the tutorial's
distribute / route / swap patterns) in both languages. Adding an op is adding an entry here:
the parser, /api/ops, the page, the CLI and the docs read this table.
"""

import dataclasses
from typing import Callable

import numpy as np

from .shapes import ShapeError, broadcast, columns, fmt, fmt_ko, full, size, unbroadcast


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Op:
    name: str
    label: str  # drawn in the node's circle
    arity: int
    kind: str  # "operator" (written with a symbol), "function" (called by name), "internal"
    syntax: str
    forward: Callable
    shape: Callable  # (*input shapes) -> output shape, or raises ShapeError
    local: tuple | None = None  # elementwise ops: ∂out/∂arg per argument
    vjp: Callable | None = None  # other ops: (g, args, out) -> gradients
    flops: Callable = lambda shapes, out: size(out)  # forward estimate; backward ≈ 2× that
    # Elements of the temporaries alive at once at the op's peak, forward or backward,
    # beyond its value, its upstream gradient and the gradients it sends back (which the
    # graph counts for every node): e.g. the broadcast difference inside mse(row, column).
    # Upper bounds, read from the code and checked with tracemalloc (tests/unit).
    scratch: Callable = lambda shapes, out: 0
    latex: tuple = ()  # the local derivative per argument, LaTeX
    rule: tuple = ()  # the gradient sent to each argument on tensor edges, {0} {1} = operands
    operands: tuple = ("a", "b")  # names for {0} {1} when an operand has none
    gate: str | None = None  # "distribute" | "route" | "swap": the tutorial's gate patterns
    en: str = ""
    ko: str = ""
    expand: Callable | None = None
    # How it reads (writing.py renders these for the page, the CLI and the docs alike):
    written: str = ""  # a node over its inputs' texts {0} {1}: "{0} + {1}", "sigmoid({0})"
    derivative: tuple = ()  # per argument, ∂out/∂arg over {0} {1} and {y}, the output
    # Only on ops whose `local` is computed from the output y (exp, sqrt, tanh, sigmoid):
    # that derivative written over {y}. The "output_for_input" mistake (mistakes.py) passes
    # the input where `local` expects y; these are the ops it changes, and nothing else.
    output_derivative: tuple = ()
    sentences: dict = dataclasses.field(default_factory=dict)  # its gate's {case: (en, ko)}

    @property
    def elementwise(self):
        return self.local is not None

    def __repr__(self):
        return f"<op {self.name}>"


OPS: dict[str, Op] = {}


def _register(op):
    OPS[op.name] = op


def _same(shape):
    return shape


def _outputs(k):
    """Scratch of an elementwise op: `k` arrays of its output's (broadcast) shape alive at
    once besides its value, the upstream gradient and what it sends back — the local
    derivative's temporaries (boolean masks counted as full arrays) and `upstream × local`
    before it is summed back to a smaller operand."""
    return lambda shapes, out: k * size(out)


# ---------------------------------------------------------------- the tutorial's gate patterns

# What a gate does with the upstream gradient, case by case (writing.gate_case picks the
# case of an edge). {gate} is the gate's name, {source} the input the edge goes back to,
# {other} the other input with its value.
_DISTRIBUTE = {
    "same": ("{gate}: passes the upstream gradient to each input unchanged (local gradient 1).",
             "{gate}: 상위 기울기를 각 입력에 그대로 분배합니다(지역 기울기 1)."),
    "negated": ("{gate}: passes the upstream gradient to the second input with its sign "
                "flipped (local gradient −1).",
                "{gate}: 두 번째 입력에는 상위 기울기의 부호를 바꿔 전달합니다(지역 기울기 −1)."),
    "summed": ("{gate}: {source} was broadcast in the forward pass, so its gradient is the "
               "upstream gradient summed over the broadcast axes.",
               "{gate}: 전방패스에서 {source}이(가) 브로드캐스트되었으므로, 그 기울기는 상위 "
               "기울기를 브로드캐스트된 축을 따라 더한 값입니다."),
}
_ROUTE = {
    "any": ("{gate}: routes the upstream gradient only to the input that was selected in the "
            "forward pass; the others get 0.",
            "{gate}: 전방패스에서 선택된 입력에만 기울기를 전달하고, 나머지는 0입니다."),
    "win": ("{gate}: routes the upstream gradient to the input selected in the forward pass. "
            "Selected: {source}, so it gets all of it (local gradient 1).",
            "{gate}: 전방패스에서 선택된 입력에만 기울기를 전달합니다. 선택됨: {source} — 상위 "
            "기울기를 모두 받습니다(지역 기울기 1)."),
    "lose": ("{gate}: routes the upstream gradient to the input selected in the forward pass. "
             "Not selected: {source}, so it gets 0.",
             "{gate}: 전방패스에서 선택된 입력에만 기울기를 전달합니다. 선택되지 않음: {source} "
             "— 기울기 0을 받습니다."),
    "tie": ("{gate}: the inputs were exactly equal in the forward pass, so the upstream "
            "gradient is split evenly (local gradient 0.5).",
            "{gate}: 전방패스에서 두 입력이 정확히 같았으므로 상위 기울기를 반씩 나눕니다"
            "(지역 기울기 0.5)."),
}
_RELU = {
    "any": _ROUTE["any"],
    "win": ("{gate}: the input was positive in the forward pass, so the upstream gradient "
            "passes through (local gradient 1).",
            "{gate}: 전방패스에서 입력이 양수였으므로 상위 기울기가 그대로 통과합니다"
            "(지역 기울기 1)."),
    "lose": ("{gate}: the input was not positive in the forward pass, so the gradient stops "
             "here (local gradient 0).",
             "{gate}: 전방패스에서 입력이 양수가 아니었으므로 기울기가 여기서 멈춥니다"
             "(지역 기울기 0)."),
}
_SWAP = {
    "other": ("{gate}: the inputs swap — the local gradient of {source} is the other input's "
              "value: {other}.",
              "{gate}: 서로 스와핑된 입력값이 지역 기울기입니다. 입력 {source}의 지역 기울기 = "
              "다른 입력의 값: {other}"),
}
_PATTERNS = {"distribute": _DISTRIBUTE, "route": _ROUTE, "swap": _SWAP}


def _gate(pattern, en, ko, cases=None):
    """The `gate` and `sentences` of an op whose gate is called `en` / `ko`."""
    cases = cases or _PATTERNS[pattern]
    return {"gate": pattern,
            "sentences": {case: (e.replace("{gate}", en), k.replace("{gate}", ko))
                          for case, (e, k) in cases.items()}}


# ---------------------------------------------------------------- elementwise binary

def _binary(name, label, kind, syntax, written, forward, local, derivative, latex, rule, en, ko,
            temps, gate=None):
    _register(Op(name, label, 2, kind, syntax, forward, broadcast, local=local, latex=latex,
                 rule=rule, en=en, ko=ko, scratch=_outputs(temps), written=written,
                 derivative=derivative, **(gate or {})))


_binary("add", "+", "operator", "a + b", "{0} + {1}", lambda m, a, b: a + b,
        (lambda m, a, b, out: 1.0, lambda m, a, b, out: 1.0), ("1", "1"),
        (r"\frac{\partial (a+b)}{\partial a} = 1", r"\frac{\partial (a+b)}{\partial b} = 1"),
        ("G", "G"),
        "Addition. The add gate distributes the upstream gradient to both inputs unchanged.",
        "덧셈. 합 게이트는 상위 기울기를 두 입력에 그대로 분배합니다.", 0,
        gate=_gate("distribute", "Add gate", "합 게이트"))
_binary("sub", "−", "operator", "a - b", "{0} − {1}", lambda m, a, b: a - b,
        (lambda m, a, b, out: 1.0, lambda m, a, b, out: -1.0), ("1", "−1"),
        (r"\frac{\partial (a-b)}{\partial a} = 1", r"\frac{\partial (a-b)}{\partial b} = -1"),
        ("G", "−G"),
        "Subtraction: an add gate whose second input's gradient is negated.",
        "뺄셈. 두 번째 입력의 기울기 부호만 바뀐 합 게이트입니다.", 1,
        gate=_gate("distribute", "Subtract gate", "뺄셈 게이트"))
_binary("mul", "×", "operator", "a * b", "{0} × {1}", lambda m, a, b: a * b,
        (lambda m, a, b, out: b, lambda m, a, b, out: a), ("{1}", "{0}"),
        (r"\frac{\partial (ab)}{\partial a} = b", r"\frac{\partial (ab)}{\partial b} = a"),
        ("G⊙{1}", "G⊙{0}"),
        "Elementwise multiplication. The multiply gate swaps: each input's local gradient "
        "is the other input's value.",
        "원소별 곱셈. 곱 게이트는 서로 스와핑된 입력값이 지역 기울기입니다.", 1,
        gate=_gate("swap", "Multiply gate", "곱 게이트"))
_binary("div", "÷", "operator", "a / b", "{0} ÷ {1}", lambda m, a, b: a / b,
        (lambda m, a, b, out: 1.0 / b, lambda m, a, b, out: -a / (b * b)),
        ("1/{1}", "−{0}/{1}²"),
        (r"\frac{\partial (a/b)}{\partial a} = \frac{1}{b}",
         r"\frac{\partial (a/b)}{\partial b} = -\frac{a}{b^2}"),
        ("G⊙(1/{1})", "−G⊙{0}/{1}²"),
        "Elementwise division.", "원소별 나눗셈.", 2)
_binary("pow", "^", "function", "pow(a, b)", "{0} ^ {1}", lambda m, a, b: m.power(a, b),
        (lambda m, a, b, out: m.pow_da(a, b), lambda m, a, b, out: m.pow_db(a, b, out)),
        ("{1}·{0}^({1} − 1)", "{0}^{1}·ln|{0}|"),
        (r"\frac{\partial a^b}{\partial a} = b\,a^{b-1}",
         r"\frac{\partial a^b}{\partial b} = a^b \ln |a|"),
        ("G⊙{1}·{0}^({1}−1)", "G⊙{0}^{1}·ln|{0}|"),
        "Power, also written a ** b or a ^ b (right-associative).",
        "거듭제곱. a ** b 또는 a ^ b로도 씁니다(오른쪽 결합).", 3)
_binary("max", "max", "function", "max(a, b)", "max({0}, {1})",
        lambda m, a, b: m.maximum(a, b),
        (lambda m, a, b, out: m.tie(a, b), lambda m, a, b, out: m.tie(b, a)),
        ("[{0} > {1}]", "[{1} > {0}]"),
        (r"\frac{\partial \max(a,b)}{\partial a} = \mathbb{1}[a > b]",
         r"\frac{\partial \max(a,b)}{\partial b} = \mathbb{1}[b > a]"),
        ("G⊙[{0}>{1}]", "G⊙[{1}>{0}]"),
        "Elementwise maximum. The max gate routes the gradient to the larger input only "
        "(split evenly at an exact tie).",
        "원소별 최댓값. 맥스 게이트는 전방에서 더 컸던 입력에만 기울기를 전달합니다"
        "(정확히 같으면 반씩 나눕니다).", 3, gate=_gate("route", "Max gate", "맥스 게이트"))
_binary("min", "min", "function", "min(a, b)", "min({0}, {1})",
        lambda m, a, b: m.minimum(a, b),
        (lambda m, a, b, out: m.tie(b, a), lambda m, a, b, out: m.tie(a, b)),
        ("[{0} < {1}]", "[{1} < {0}]"),
        (r"\frac{\partial \min(a,b)}{\partial a} = \mathbb{1}[a < b]",
         r"\frac{\partial \min(a,b)}{\partial b} = \mathbb{1}[b < a]"),
        ("G⊙[{0}<{1}]", "G⊙[{1}<{0}]"),
        "Elementwise minimum: routes the gradient to the smaller input (split at a tie).",
        "원소별 최솟값. 더 작았던 입력에만 기울기를 전달합니다(같으면 반씩).", 3,
        gate=_gate("route", "Min gate", "민(min) 게이트"))

# ---------------------------------------------------------------- elementwise unary


def _unary(name, label, written, forward, local, derivative, latex, rule, en, ko, temps,
           gate=None, expand=None, output_derivative=None):
    _register(Op(name, label, 1, "operator" if name == "neg" else "function",
                 "-x" if name == "neg" else written.format("x"), forward, _same,
                 local=(local,), latex=(latex,), rule=(rule,), operands=("x",), en=en, ko=ko,
                 expand=expand, scratch=_outputs(temps), written=written,
                 derivative=(derivative,), **(gate or {}),
                 output_derivative=(output_derivative,) if output_derivative else ()))


def _expand_sigmoid(em, u):
    one = em.const(1.0)
    return em.op("div", one, em.op("add", em.const(1.0), em.op("exp", em.op("neg", u))))


_unary("neg", "−", "−{0}", lambda m, a: -a, lambda m, a, out: -1.0, "−1",
       r"\frac{\partial (-x)}{\partial x} = -1", "−G",
       "Negation (unary minus).", "부호 반전(단항 마이너스).", 0)
_unary("exp", "exp", "exp({0})", lambda m, a: m.exp(a), lambda m, a, out: out, "exp({0})",
       r"\frac{\partial e^x}{\partial x} = e^x", "G⊙exp({0})",
       "Exponential; its local gradient is its own output.",
       "지수 함수. 지역 기울기는 자신의 출력값입니다.", 0, output_derivative="{y}")
_unary("log", "log", "log({0})", lambda m, a: m.log(a), lambda m, a, out: 1.0 / a, "1/{0}",
       r"\frac{\partial \ln x}{\partial x} = \frac{1}{x}", "G⊙(1/{0})",
       "Natural logarithm.", "자연로그.", 1)
_unary("sqrt", "√", "sqrt({0})", lambda m, a: m.sqrt(a), lambda m, a, out: 0.5 / out,
       "1/(2·√{0})",
       r"\frac{\partial \sqrt{x}}{\partial x} = \frac{1}{2\sqrt{x}}", "G⊙1/(2√{0})",
       "Square root.", "제곱근.", 1, output_derivative="1/(2·{y})")
_unary("abs", "|x|", "abs({0})", lambda m, a: m.abs(a), lambda m, a, out: m.sign(a),
       "sign({0})",
       r"\frac{\partial |x|}{\partial x} = \operatorname{sign}(x)", "G⊙sign({0})",
       "Absolute value; its gradient at 0 is taken as 0.", "절댓값. 0에서의 기울기는 0으로 둡니다.", 1)
_unary("sin", "sin", "sin({0})", lambda m, a: m.sin(a), lambda m, a, out: m.cos(a), "cos({0})",
       r"\frac{\partial \sin x}{\partial x} = \cos x", "G⊙cos({0})", "Sine.", "사인.", 1)
_unary("cos", "cos", "cos({0})", lambda m, a: m.cos(a), lambda m, a, out: -m.sin(a),
       "−sin({0})",
       r"\frac{\partial \cos x}{\partial x} = -\sin x", "−G⊙sin({0})", "Cosine.", "코사인.", 1)
_unary("tanh", "tanh", "tanh({0})", lambda m, a: m.tanh(a), lambda m, a, out: 1.0 - out * out,
       "1 − {y}²",
       r"\frac{\partial \tanh x}{\partial x} = 1 - \tanh^2 x", "G⊙(1−tanh²{0})",
       "Hyperbolic tangent.", "쌍곡탄젠트.", 1, output_derivative="1 − {y}²")
_unary("sigmoid", "σ", "sigmoid({0})", lambda m, a: m.sigmoid(a),
       lambda m, a, out: out * (1.0 - out), "{y}·(1 − {y})",
       r"\sigma'(x) = \sigma(x)\bigl(1-\sigma(x)\bigr)", "G⊙σ({0})(1−σ({0}))",
       "Logistic sigmoid σ(x) = 1/(1+e^(−x)), one block whose local gradient σ(1−σ) uses "
       "its cached output. Expand it to see 1/(1+exp(−x)) gate by gate.",
       "시그모이드 σ(x) = 1/(1+e^(−x)). 캐시한 출력으로 지역 기울기 σ(1−σ)를 구하는 하나의 "
       "블록이며, 펼치면 1/(1+exp(−x))의 게이트들이 보입니다.", 1, expand=_expand_sigmoid,
       output_derivative="{y}·(1 − {y})")
_unary("relu", "relu", "relu({0})", lambda m, a: m.relu(a), lambda m, a, out: m.step(a),
       "[{0} > 0]",
       r"\frac{\partial\,\mathrm{relu}(x)}{\partial x} = \mathbb{1}[x > 0]", "G⊙[{0}>0]",
       "Rectified linear unit max(0, x): routes the gradient where x > 0 (relu'(0) = 0).",
       "ReLU max(0, x). x > 0인 곳으로만 기울기를 전달합니다(relu'(0) = 0).", 2,
       gate=_gate("route", "ReLU gate", "ReLU 게이트", _RELU))

# ---------------------------------------------------------------- tensor ops


def _arr(a):
    return np.asarray(a, dtype=np.float64)


def _matmul_shape(a, b):
    if not a or not b:
        raise ShapeError("@ needs vectors or matrices; use * to multiply by a scalar",
                         "@는 벡터나 행렬에만 쓸 수 있습니다. 스칼라 곱은 *를 쓰세요")
    if a[-1] != (b[0] if len(b) == 1 else b[-2]):
        raise ShapeError(
            f"matrix product {fmt(a)} @ {fmt(b)}: inner sizes {a[-1]} and "
            f"{b[0] if len(b) == 1 else b[-2]} differ",
            f"행렬곱 {fmt_ko(a)} @ {fmt_ko(b)}: 안쪽 크기 {a[-1]}와 "
            f"{b[0] if len(b) == 1 else b[-2]}가 다릅니다")
    return a[:-1] + b[1:]


def _matmul_vjp(g, args, out):
    a, b = args
    # Lift vectors to 1×n and n×1 so one rule, dW = G·Xᵀ and dX = Wᵀ·G, covers all cases.
    a2 = a if a.ndim == 2 else a[None, :]
    b2 = b if b.ndim == 2 else b[:, None]
    g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
    ga = (g2 @ b2.T).reshape(a.shape)
    gb = (a2.T @ g2).reshape(b.shape)
    return ga, gb


def _matmul_flops(shapes, out):
    a, b = shapes
    return 2.0 * size(a) * (b[-1] if len(b) == 2 else 1)


_register(Op(
    "matmul", "@", 2, "operator", "W @ X", lambda m, a, b: np.matmul(a, b), _matmul_shape,
    vjp=_matmul_vjp, flops=_matmul_flops,
    latex=(r"\frac{\partial L}{\partial W} = G\,X^\top", r"\frac{\partial L}{\partial X} = W^\top G"),
    rule=("G·{1}ᵀ", "{0}ᵀ·G"), operands=("W", "X"),
    en="Matrix product D = W X (1-D and 2-D operands). With upstream G = ∂L/∂D: "
       "∂L/∂W = G Xᵀ and ∂L/∂X = Wᵀ G; the gradient's shape always matches its tensor's.",
    ko="행렬곱 D = W X(1차원·2차원). 상위 기울기 G = ∂L/∂D에 대해 ∂L/∂W = G Xᵀ, "
       "∂L/∂X = Wᵀ G이며, 기울기의 shape은 원래 텐서와 같습니다.",
    written="{0} @ {1}", derivative=("{1}", "{0}")))


def _dot_shape(a, b):
    return broadcast(a, b) if not a or not b else _matmul_shape(a, b)


def _dot_vjp(g, args, out):
    a, b = args
    if np.ndim(a) and np.ndim(b):
        return _matmul_vjp(g, args, out)
    return unbroadcast(g * b, np.shape(a)), unbroadcast(g * a, np.shape(b))


_register(Op(
    "dot", "·", 2, "function", "dot(a, b)", lambda m, a, b: np.dot(a, b), _dot_shape,
    vjp=_dot_vjp,
    flops=lambda shapes, out: _matmul_flops(shapes, out) if shapes[0] and shapes[1] else size(out),
    scratch=lambda shapes, out: 0 if shapes[0] and shapes[1] else 2 * size(out),  # G·b, G·a
    latex=(r"\frac{\partial (a\cdot b)}{\partial a} = b", r"\frac{\partial (a\cdot b)}{\partial b} = a"),
    rule=("G·{1}ᵀ", "{0}ᵀ·G"), **_gate("swap", "Dot-product gate", "내적 게이트"),
    en="Dot product (numpy's dot): w·x for vectors, the matrix product for matrices.",
    ko="내적(numpy의 dot). 벡터끼리는 w·x, 행렬은 행렬곱입니다.",
    written="{0} · {1}", derivative=("{1}", "{0}")))


def _scalar_out(*shapes):
    return ()


def _reads(shapes, out):
    """A reduction costs one operation per element it reads, not per element it writes."""
    return sum(map(size, shapes))


def _loss_shape(a, b):
    broadcast(a, b)  # the operands must broadcast; the loss itself is a scalar
    return ()


_register(Op(
    "sum", "Σ", 1, "function", "sum(x)", lambda m, a: np.sum(a), _scalar_out,
    vjp=lambda g, args, out: (full(np.shape(args[0]), g),), flops=_reads,
    latex=(r"\frac{\partial \sum_i x_i}{\partial x_j} = 1",), rule=("G·𝟙",),
    operands=("x",),
    en="Sum of all elements; like a many-input add gate it copies the gradient to each.",
    ko="모든 원소의 합. 입력이 많은 합 게이트처럼 기울기를 각 원소에 복사합니다.",
    written="sum({0})", derivative=("1",)))
_register(Op(
    "mean", "mean", 1, "function", "mean(x)", lambda m, a: np.mean(a), _scalar_out,
    vjp=lambda g, args, out: (full(np.shape(args[0]), g / size(np.shape(args[0]))),),
    flops=_reads,
    latex=(r"\frac{\partial\, \mathrm{mean}(x)}{\partial x_j} = \frac{1}{n}",),
    rule=("G·𝟙/n",), operands=("x",),
    en="Mean of all elements (a minibatch average): each element gets 1/n of the gradient.",
    ko="모든 원소의 평균(미니배치 평균). 각 원소는 기울기의 1/n을 받습니다.",
    written="mean({0})", derivative=("1",)))
_register(Op(
    "transpose", "ᵀ", 1, "function", "transpose(x)", lambda m, a: np.transpose(a),
    lambda s: s[::-1], vjp=lambda g, args, out: (np.transpose(g) if np.ndim(g) else g,),
    latex=(r"\frac{\partial L}{\partial X} = G^\top",), rule=("Gᵀ",), operands=("X",),
    en="Transpose; the gradient is transposed back.", ko="전치. 기울기는 다시 전치되어 돌아갑니다.",
    written="transpose({0})", derivative=("1",)))


def _softmax(z):
    z = _arr(z)
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _softmax_vjp(g, args, out):
    s = out if np.ndim(out) else 1.0
    return (s * (g - np.sum(g * s, axis=0)),) if np.ndim(out) else (0.0 * g,)


def _expand_softmax(em, z):
    e = em.op("exp", z)
    return em.op("div", e, em.op("colsum", e))


_register(Op(
    "softmax", "softmax", 1, "function", "softmax(z)",
    lambda m, a: _softmax(a) if np.ndim(a) else 1.0, _same, vjp=_softmax_vjp,
    flops=lambda shapes, out: 5.0 * size(out),
    scratch=lambda shapes, out: 3 * size(out),  # z − max and exp; G⊙s, G − Σ₀(G⊙s)
    latex=(r"\frac{\partial s_i}{\partial z_j} = s_i(\delta_{ij} - s_j)",),
    rule=("s⊙(G − Σ₀(G⊙s))",), operands=("z",),
    en="Softmax over axis 0 (classes; samples are columns): s = exp(z) / Σ exp(z).",
    ko="축 0(클래스, 샘플은 열) 방향 소프트맥스: s = exp(z) / Σ exp(z).",
    expand=_expand_softmax,
    written="softmax({0})", derivative=("0",)))


def _colsum_shape(s):
    return (1, s[1]) if len(s) == 2 else ()


_register(Op(
    "colsum", "Σ₀", 1, "internal", "Σ₀(x)",
    lambda m, a: np.sum(a, axis=0, keepdims=np.ndim(a) == 2) if np.ndim(a) else a,
    _colsum_shape, vjp=lambda g, args, out: (np.broadcast_to(g, np.shape(args[0])).copy()
                                             if np.ndim(args[0]) else g,), flops=_reads,
    latex=(r"\frac{\partial \sum_i x_{ij}}{\partial x_{kj}} = 1",), rule=("𝟙·G",),
    operands=("x",),
    en="Sum over axis 0 (each column), used inside expanded softmax.",
    ko="축 0(각 열) 방향 합. 펼친 소프트맥스 안에서 쓰입니다.",
    written="Σ₀({0})", derivative=("1",)))


def _samples(a, b):
    return float(columns(np.broadcast_shapes(np.shape(a), np.shape(b))))


_register(Op(
    "samples", "N", 2, "internal", "N(p, y)", lambda m, a, b: _samples(a, b), _loss_shape,
    vjp=lambda g, args, out: (0.0 * _arr(args[0]), 0.0 * _arr(args[1])), flops=_reads,
    latex=(r"\frac{\partial N}{\partial p} = 0", r"\frac{\partial N}{\partial y} = 0"),
    rule=("0", "0"), operands=("p", "y"),
    en="N, the number of samples (columns; 1 for a vector), used inside expanded "
       "cross-entropy. It depends on shapes only, so no gradient flows through it.",
    ko="샘플(열) 수 N(벡터면 1). 펼친 교차엔트로피 안에서 쓰이며, 모양에만 의존하므로 "
       "기울기가 흐르지 않습니다.",
    written="N({0}, {1})", derivative=("0", "0")))


def _mse(a, b):
    d = (_arr(a) - b).reshape(-1)
    return float(d @ d) / d.size  # BLAS dot: one pass for the squares and their sum


def _mse_vjp(g, args, out):
    a, b = _arr(args[0]), _arr(args[1])
    d = a - b
    c = (2.0 * g / d.size) * d
    return unbroadcast(c, a.shape), unbroadcast(-c, b.shape)


def _expand_mse(em, a, b):
    return em.op("mean", em.op("pow", em.op("sub", a, b), em.const(2.0)))


_register(Op(
    "mse", "MSE", 2, "function", "mse(yhat, y)", lambda m, a, b: _mse(a, b),
    _loss_shape, vjp=_mse_vjp,
    flops=lambda shapes, out: 3.0 * size(broadcast(*shapes)),
    scratch=lambda shapes, out: 3 * size(broadcast(*shapes)),  # ŷ − y, ±2G(ŷ − y)/n
    latex=(r"\frac{\partial L}{\partial \hat y} = \frac{2}{n}(\hat y - y)",
           r"\frac{\partial L}{\partial y} = -\frac{2}{n}(\hat y - y)"),
    rule=("G·2({0}−{1})/n", "−G·2({0}−{1})/n"), operands=("ŷ", "y"),
    en="Mean squared error mean((ŷ − y)²), the regression loss.",
    ko="평균제곱오차 mean((ŷ − y)²). 회귀 손실입니다.", expand=_expand_mse,
    written="mse({0}, {1})", derivative=("2·({0} − {1})", "−2·({0} − {1})")))


def _cross_entropy(p, y):
    p, y = _arr(p), _arr(y)
    return -np.sum(y * np.log(p)) / columns(np.broadcast_shapes(p.shape, y.shape))


def _cross_entropy_vjp(g, args, out):
    p, y = _arr(args[0]), _arr(args[1])
    n = columns(np.broadcast_shapes(p.shape, y.shape))
    return unbroadcast(-g * y / (p * n), p.shape), unbroadcast(-g * np.log(p) / n, y.shape)


def _expand_cross_entropy(em, p, y):
    total = em.op("sum", em.op("mul", y, em.op("log", p)))
    return em.op("div", em.op("neg", total), em.op("samples", p, y))


_register(Op(
    "cross_entropy", "CE", 2, "function", "cross_entropy(p, y)",
    lambda m, a, b: _cross_entropy(a, b), _loss_shape,
    vjp=_cross_entropy_vjp, flops=lambda shapes, out: 3.0 * size(broadcast(*shapes)),
    scratch=lambda shapes, out: 3 * size(broadcast(*shapes)),  # y⊙log p, G⊙y/(N·p)
    latex=(r"\frac{\partial L}{\partial p} = -\frac{y}{N p}", r"\frac{\partial L}{\partial y} = -\frac{\ln p}{N}"),
    rule=("−G·{1}/(N·{0})", "−G·ln {0}/N"), operands=("p", "y"),
    en="Cross-entropy −Σ y·log p / N of probabilities p against targets y; N is the number "
       "of samples (columns), 1 for a vector.",
    ko="교차엔트로피 −Σ y·log p / N. N은 샘플(열) 수이며 벡터면 1입니다.",
    expand=_expand_cross_entropy,
    written="cross_entropy({0}, {1})", derivative=("−{1}/{0}", "−log({0})")))


def _log_softmax(z):
    z = _arr(z)
    shifted = z - z.max(axis=0)
    return shifted - np.log(np.exp(shifted).sum(axis=0))


def _same_shape(a, b):
    if a != b:
        raise ShapeError(f"logits {fmt(a)} and targets {fmt(b)} must have the same shape",
                         f"로짓 {fmt_ko(a)}과 정답 {fmt_ko(b)}의 모양이 같아야 합니다")
    return ()


def _sce(z, y):
    if not np.ndim(z):
        return 0.0
    return -np.sum(_arr(y) * _log_softmax(z)) / columns(np.shape(z))


def _sce_vjp(g, args, out):
    z, y = _arr(args[0]), _arr(args[1])
    if not z.ndim:
        return 0.0 * g, 0.0 * g
    n = columns(z.shape)
    s = _softmax(z)
    return g * (s * y.sum(axis=0) - y) / n, -g * _log_softmax(z) / n


def _expand_sce(em, z, y):
    return em.op("cross_entropy", em.op("softmax", z), y)


_register(Op(
    "softmax_cross_entropy", "softmax CE", 2, "function", "softmax_cross_entropy(z, y)",
    lambda m, a, b: _sce(a, b), _same_shape, vjp=_sce_vjp,
    flops=lambda shapes, out: 8.0 * size(shapes[0]),
    scratch=lambda shapes, out: 5 * size(shapes[0]),  # log-softmax, softmax and their uses
    latex=(r"\frac{\partial L}{\partial z} = \frac{1}{N}\bigl(s\textstyle\sum_c y_c - y\bigr)",
           r"\frac{\partial L}{\partial y} = -\frac{\log s}{N}"),
    rule=("G·(softmax({0})·Σ₀{1} − {1})/N", "−G·log softmax({0})/N"), operands=("z", "y"),
    en="Softmax followed by cross-entropy, computed stably in one node; for one-hot targets "
       "its gradient is simply (softmax(z) − y)/N.",
    ko="소프트맥스 다음 교차엔트로피를 한 노드에서 안정적으로 계산합니다. 원-핫 정답이면 "
       "기울기는 (softmax(z) − y)/N입니다.", expand=_expand_sce,
    written="softmax_cross_entropy({0}, {1})", derivative=("0", "0")))

FUNCTIONS = {name: op for name, op in OPS.items() if op.kind == "function"}
BINARY = {"+": OPS["add"], "-": OPS["sub"], "*": OPS["mul"], "/": OPS["div"],
          "@": OPS["matmul"], "**": OPS["pow"], "^": OPS["pow"]}
CONSTANTS = {"pi": (np.pi, "π"), "e": (np.e, "e")}
# How the page prints a constant reads back as that constant (π is pi), so it is reserved too.
CONSTANT_LABELS = {label: name for name, (_, label) in CONSTANTS.items() if label != name}
RESERVED = frozenset(FUNCTIONS) | frozenset(CONSTANTS) | frozenset(CONSTANT_LABELS)
