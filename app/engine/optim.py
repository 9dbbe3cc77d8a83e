"""Gradient descent on an expression's graph: θ ← θ − η∇θL, by exactly the rules below
(docs/engine.md "Training" lists the decisions).

- `history[i]` holds the loss (L2 term included) and the gradient norm at the parameters
  before update i+1; `step` is that update's number, 1-based.
- L2 adds λ·Σ‖p‖² over the params to the loss, so each gradient gets + 2λp.
- sgd: p ← p − lr·g. momentum: v ← μ·v + g; p ← p − lr·v (v starts at 0).
  adam: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·m̂/(√v̂ + eps), with
  m̂ = m/(1−β1ᵗ) and v̂ = v/(1−β2ᵗ) at update t = 1, 2, …
- batch: the data variables are sliced along their last axis (columns, the samples) into
  consecutive batches of B, in order, starting again from column 0 after the last one (a
  last batch may be shorter). The loss in the history is the loss on that update's batch.

The graph is parsed once and built once per batch width; each step re-runs forward and a
backward pass without the trace.

`OPTIMIZERS` is the one place optimizers are written down: their names, hyperparameters
(default, bounds, labels and descriptions in en/ko) and update rules. The engine checks
requests against it, app/api/schemas.py derives the `Optimizer` request model from it, and
GET /api/optimizers serves it to the page, which builds its inputs from that answer.
"""

import dataclasses
import math

import numpy as np

from .autodiff import backward, forward
from .errors import ExpressionError
from .graph import build, check_names, to_value
from .limits import DEFAULT_LIMITS
from .parser import parse

@dataclasses.dataclass(frozen=True)
class Hyperparameter:
    """One optimizer setting: its default, its bounds and what it means. The engine checks
    values against it, the request schema (app/api/schemas.py) is derived from it and the
    page builds its inputs from it (GET /api/optimizers)."""

    key: str
    symbol: str
    default: float | None  # None: the request must give it
    low: float
    high: float | None = None
    low_open: bool = False  # low < value (else low ≤ value)
    high_open: bool = True  # value < high (else value ≤ high)
    suggested: float | None = None  # the page's starting value (else the default)
    label: dict = dataclasses.field(default_factory=dict)  # {"en", "ko"}: the input's label
    description: dict = dataclasses.field(default_factory=dict)  # {"en", "ko"}

    def contains(self, value):
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value)):
            return False
        if value < self.low or (self.low_open and value == self.low):
            return False
        return self.high is None or value < self.high or (not self.high_open and value == self.high)

    def interval(self):
        """The allowed values as text: "(0, ∞)", "[0, 1)"."""
        high = "∞)" if self.high is None else f"{self.high:g}{')' if self.high_open else ']'}"
        return f"{'(' if self.low_open else '['}{self.low:g}, {high}"

    def as_json(self):
        return {"key": self.key, "symbol": self.symbol, "default": self.default,
                "required": self.default is None,
                "suggested": self.default if self.suggested is None else self.suggested,
                "min": self.low, "max": self.high, "min_open": self.low_open,
                "max_open": self.high_open, "interval": self.interval(),
                "label": dict(self.label), "description": dict(self.description)}


@dataclasses.dataclass(frozen=True)
class Optimizer:
    name: str
    title: dict  # {"en", "ko"}
    rule: str  # the update, as text
    hyperparameters: tuple

    def as_json(self):
        return {"name": self.name, "title": dict(self.title), "rule": self.rule,
                "hyperparameters": [h.as_json() for h in self.hyperparameters]}


LR = Hyperparameter(
    "lr", "η", None, 0.0, low_open=True, suggested=0.1,
    label={"en": "Learning rate η", "ko": "학습률 η"},
    description={"en": "Learning rate η: the size of each step against the gradient.",
                 "ko": "학습률 η: 기울기 반대 방향으로 한 번에 움직이는 크기."})
MOMENTUM = Hyperparameter(
    "momentum", "μ", 0.9, 0.0, 1.0,
    label={"en": "Momentum μ", "ko": "모멘텀 μ"},
    description={"en": "μ: how much of the previous velocity v each update keeps.",
                 "ko": "μ: 업데이트마다 이전 속도 v를 얼마나 유지하는지."})
BETA1 = Hyperparameter(
    "beta1", "β1", 0.9, 0.0, 1.0, label={"en": "β1", "ko": "β1"},
    description={"en": "β1: decay of the running mean m of the gradient.",
                 "ko": "β1: 기울기의 이동 평균 m의 감쇠율."})
BETA2 = Hyperparameter(
    "beta2", "β2", 0.999, 0.0, 1.0, label={"en": "β2", "ko": "β2"},
    description={"en": "β2: decay of the running mean v of the squared gradient.",
                 "ko": "β2: 기울기 제곱의 이동 평균 v의 감쇠율."})
EPS = Hyperparameter(
    "eps", "ε", 1e-8, 0.0, low_open=True, label={"en": "ε", "ko": "ε"},
    description={"en": "ε: keeps Adam's division finite where v̂ is 0.",
                 "ko": "ε: v̂가 0인 곳에서도 Adam의 나눗셈이 유한하도록 더하는 값."})

# The one list of optimizers: names, hyperparameters (defaults, bounds) and their meaning.
OPTIMIZERS = {o.name: o for o in (
    Optimizer("sgd", {"en": "SGD", "ko": "SGD(경사하강법)"}, "p ← p − η·g", (LR,)),
    Optimizer("momentum", {"en": "Momentum", "ko": "모멘텀"},
              "v ← μ·v + g; p ← p − η·v", (LR, MOMENTUM)),
    Optimizer("adam", {"en": "Adam", "ko": "Adam(적응형)"},
              "m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − η·m̂/(√v̂ + ε)",
              (LR, BETA1, BETA2, EPS)),
)}
# Every hyperparameter of any optimizer, by key, in first-use order.
HYPERPARAMETERS = {h.key: h for o in OPTIMIZERS.values() for h in o.hyperparameters}


def optimizers_json():
    """The table as JSON-ready data (served by GET /api/optimizers)."""
    return [o.as_json() for o in OPTIMIZERS.values()]


def _bad(msg, msg_ko, loc):
    return ExpressionError("invalid_value", 0, 0, msg, msg_ko, loc=loc)


class Trainer:
    """One training run; `step()` applies one update and returns its history entry."""

    def __init__(self, expression, values, params, optimizer, l2=0.0, batch=None,
                 limits=None):
        self.limits = limits or DEFAULT_LIMITS
        self.program = parse(expression, self.limits)
        check_names(self.program, values)  # as build() does, before any value is read
        variables = self.program.variables
        self.params = list(dict.fromkeys(params))
        for name in self.params:
            if name not in variables:
                raise _bad("a parameter must be a variable of the expression",
                           "매개변수는 식의 변수여야 합니다", ("params", name))
        self.optimizer = _hyperparameters(optimizer)
        self.l2 = _non_negative(l2, "l2")
        self.values = {}
        for name, node in variables.items():
            if name not in values:
                raise ExpressionError("missing_value", *self.program.spans[node],
                                      "this variable has no value", "이 변수에 값이 없습니다",
                                      loc=("values", name))
            value, _ = to_value(values[name], self.program.spans[node], self.limits,
                                ("values", name))
            self.values[name] = np.array(value, dtype=np.float64)  # our own copy
        self.batch = self._batching(batch)
        self.graphs = {}  # batch width -> graph
        zeros = {name: np.zeros_like(self.values[name]) for name in self.params}
        self.m = dict(zeros)
        self.v = {name: z.copy() for name, z in zeros.items()}
        self.t = 0
        self.start = 0  # first column of the next batch

    def _batching(self, batch):
        if not batch:
            return None
        size, data = batch.get("size"), list(batch.get("data") or [])
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise _bad("batch.size must be a whole number ≥ 1", "batch.size는 1 이상의 정수여야 합니다",
                       ("batch", "size"))
        if not data:
            raise _bad("batch.data must name the data variables", "batch.data에 데이터 변수를 적어야 합니다",
                       ("batch", "data"))
        columns = set()
        for name in data:
            if name not in self.values or name in self.params:
                raise _bad("batch data must be variables of the expression that are not parameters",
                           "배치 데이터는 매개변수가 아닌 식의 변수여야 합니다", ("batch", "data", name))
            if self.values[name].ndim == 0:
                raise _bad("batch data must be vectors or matrices (samples are columns)",
                           "배치 데이터는 벡터나 행렬이어야 합니다(샘플은 열)", ("batch", "data", name))
            columns.add(self.values[name].shape[-1])
        if len(columns) > 1:
            raise _bad("all batch data must have the same number of columns (samples)",
                       "배치 데이터의 열(샘플) 수가 모두 같아야 합니다", ("batch", "data"))
        n = columns.pop()
        if size > n:
            raise _bad(f"batch.size is larger than the {n} samples (columns) of the data",
                       f"batch.size가 데이터의 샘플(열) 수 {n}보다 큽니다", ("batch", "size"))
        return {"size": size, "data": data, "columns": n}

    def _graph(self, width):
        graph = self.graphs.get(width)
        if graph is None:
            graph = build(self.program, self._batch_values(0, width), self.limits)
            if graph.shapes[graph.output]:
                raise _bad("training needs a scalar loss: the expression's output is a tensor",
                           "학습에는 스칼라 손실이 필요합니다: 식의 출력이 텐서입니다", ("expression",))
            self.graphs[width] = graph
        return graph

    def _batch_values(self, start, width):
        values = dict(self.values)
        if self.batch:
            for name in self.batch["data"]:
                values[name] = self.values[name][..., start:start + width]
        return values

    def loss_and_gradients(self):
        """Loss (L2 included) and the gradient of each param at the current batch."""
        start, width = self.start, None
        if self.batch:
            width = min(self.batch["size"], self.batch["columns"] - start)
        graph = self._graph(width)
        vals = graph.values[:]  # leaves as built; op slots are recomputed
        for name, value in self._batch_values(start, width).items():
            node = graph.variables[name]
            vals[node] = float(value) if value.ndim == 0 else value
        with np.errstate(all="ignore"):
            loss = float(forward(graph, vals))
            grads, _, _ = backward(graph, vals, 1.0)
            gradients = {name: np.asarray(grads[graph.variables[name]], dtype=np.float64)
                         for name in self.params}
            for name in self.params:
                p = self.values[name]
                loss += self.l2 * float(np.sum(p * p))
                gradients[name] = gradients[name] + 2.0 * self.l2 * p
        return loss, gradients

    def step(self, detail=False, track=False):
        """One update; `track` adds the params the loss was measured at (for paths)."""
        loss, gradients = self.loss_and_gradients()
        self.t += 1
        with np.errstate(all="ignore"):
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in gradients.values()))
        entry = {"step": self.t, "loss": loss, "grad_norm": norm}
        if track:
            entry["params"] = self.current_params()
        if self.batch:
            width = min(self.batch["size"], self.batch["columns"] - self.start)
            entry["batch"] = [self.start, self.start + width]
            self.start = 0 if self.start + width >= self.batch["columns"] else self.start + width
        updates = {}
        with np.errstate(all="ignore"):
            for name in self.params:
                before = self.values[name]
                after, shown = self._update(name, before, gradients[name])
                self.values[name] = after
                if detail:
                    updates[name] = {"param": _plain(before), "grad": _plain(gradients[name]),
                                     **{k: _plain(v) for k, v in shown.items()},
                                     "new": _plain(after)}
        if detail:
            entry["update"] = updates
        return entry

    def _update(self, name, p, g):
        o = self.optimizer
        lr = o["lr"]
        if o["name"] == "sgd":
            return p - lr * g, {}
        if o["name"] == "momentum":
            v = self.v[name] = o["momentum"] * self.v[name] + g
            return p - lr * v, {"v": v}
        beta1, beta2, eps = o["beta1"], o["beta2"], o["eps"]
        m = self.m[name] = beta1 * self.m[name] + (1 - beta1) * g
        v = self.v[name] = beta2 * self.v[name] + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** self.t)
        v_hat = v / (1 - beta2 ** self.t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "m_hat": m_hat,
                                                          "v_hat": v_hat}

    def current_params(self):
        return {name: _plain(self.values[name]) for name in self.params}


def train(expression, values, params, optimizer, steps, l2=0.0, batch=None, limits=None,
          detail=False):
    """Run `steps` updates: {"history": [...], "params": {...}, "stopped": None | "diverged"}.

    Training stops early, after recording it, at the first loss that is not finite.
    """
    trainer = Trainer(expression, values, params, optimizer, l2, batch, limits)
    history, stopped = [], None
    for _ in range(steps):
        entry = trainer.step(detail)
        history.append(entry)
        if not math.isfinite(entry["loss"]):
            stopped = "diverged"
            break
    return {"history": history, "params": trainer.current_params(), "stopped": stopped}


def _hyperparameters(optimizer):
    name = optimizer.get("name")
    if name not in OPTIMIZERS:
        names = ", ".join(OPTIMIZERS)
        raise _bad(f"optimizer.name must be one of {names}",
                   f"optimizer.name은 {names} 중 하나여야 합니다", ("optimizer", "name"))
    out = {"name": name}
    for h in OPTIMIZERS[name].hyperparameters:
        value = optimizer.get(h.key)
        if value is None:
            if h.default is None:
                raise _bad(f"optimizer.{h.key} is required", f"optimizer.{h.key} 값이 필요합니다",
                           ("optimizer", h.key))
            value = h.default
        if not h.contains(value):
            raise _bad(f"optimizer.{h.key} must be a number in {h.interval()}",
                       f"optimizer.{h.key}는 {h.interval()} 범위의 수여야 합니다",
                       ("optimizer", h.key))
        out[h.key] = float(value)
    return out


def _non_negative(value, key):
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0):
        raise _bad(f"{key} must be a number ≥ 0", f"{key}는 0 이상의 수여야 합니다", (key,))
    return float(value)


def _plain(a):
    """A float for a scalar, else the array (the encoders write both)."""
    a = np.asarray(a)
    return float(a) if a.ndim == 0 else a.copy()


def landscape(expression, values, params, ranges, resolution=41, limits=None):
    """The loss over a grid of two scalar params (the rest as given), for a contour plot:
    {"x": [...], "y": [...], "loss": [[loss at (x[i], y[j]) for i] for j]}."""
    limits = limits or DEFAULT_LIMITS
    if len(params) != 2 or len(set(params)) != 2:
        raise _bad("a landscape needs exactly two parameters", "지형도에는 매개변수가 정확히 두 개 필요합니다",
                   ("params",))
    if not (isinstance(resolution, int) and 2 <= resolution <= 101):
        raise _bad("resolution must be a whole number from 2 to 101",
                   "resolution은 2에서 101 사이의 정수여야 합니다", ("resolution",))
    program = parse(expression, limits)
    graph = build(program, values, limits)
    if graph.shapes[graph.output]:
        raise _bad("the loss must be a scalar", "손실은 스칼라여야 합니다", ("expression",))
    axes = []
    for name in params:
        node = program.variables.get(name)
        if node is None or graph.shapes[node]:
            raise _bad("landscape parameters must be scalar variables of the expression",
                       "지형도 매개변수는 식의 스칼라 변수여야 합니다", ("params", name))
        lo, hi = ranges.get(name, (None, None))
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lo, hi)) or lo >= hi:
            raise _bad("each range must be [low, high] with low < high",
                       "각 범위는 low < high인 [low, high]여야 합니다", ("ranges", name))
        axes.append((node, np.linspace(lo, hi, resolution)))
    if resolution * resolution * max(graph.flops, 1.0) > limits.max_flops:
        raise ExpressionError("limit_exceeded", 0, 0, "this landscape needs too many evaluations",
                              "이 지형도에는 너무 많은 계산이 필요합니다", loc=("resolution",))
    (nx, xs), (ny, ys) = axes
    grid = []
    with np.errstate(all="ignore"):
        for y in ys:
            row = []
            for x in xs:
                vals = graph.values[:]
                vals[nx], vals[ny] = float(x), float(y)
                row.append(float(forward(graph, vals)))
            grid.append(row)
    return {"x": xs.tolist(), "y": ys.tolist(), "loss": grid}
