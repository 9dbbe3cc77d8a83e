"""Request and response models. Strict: no "1.5" for 1.5, no true for 1, finite numbers only,
no unknown fields, rectangular tensors, variable names by DESIGN §3's pattern."""

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError

# ASCII identifier, at most 32 characters, no leading "__" (the regex engine has no
# look-ahead, hence the three alternatives).
NAME_PATTERN = r"^(?:[A-Za-z][A-Za-z0-9_]{0,31}|_[A-Za-z0-9][A-Za-z0-9_]{0,30}|_)$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


def _rectangular(rows):
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise PydanticCustomError(
                "ragged_tensor", "row {row} has {got} numbers but row 0 has {width}: a "
                "matrix must be rectangular", {"row": i, "got": len(row), "width": width})
    return rows


def _tensor_kind(value):
    if isinstance(value, list):
        return "matrix" if value and isinstance(value[0], list) else "vector"
    return "scalar"


Vector = Annotated[list[float], Field(min_length=1)]
Tensor = Annotated[
    Union[
        Annotated[float, Tag("scalar")],
        Annotated[Vector, Tag("vector")],
        Annotated[list[Vector], Field(min_length=1), AfterValidator(_rectangular), Tag("matrix")],
    ],
    Discriminator(_tensor_kind),
]

_STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class GraphRequest(BaseModel):
    model_config = _STRICT

    expression: str = Field(description="The program, e.g. `(x+y)*z` or `q = x + y; q * z`.")
    values: dict[Name, Tensor] = Field(
        default_factory=dict,
        description="A number, a list (vector) or a list of equal-length lists (matrix) for "
                    "each free variable. Names the expression does not use are ignored.")
    output_grad: Tensor | None = Field(
        None, description="Seed of the backward pass, shaped like the output (default: ones).")
    expand: bool = Field(False, description="Expand composite ops (sigmoid, softmax, mse, "
                                            "cross-entropy) into their primitive gates.")


class ParseRequest(BaseModel):
    model_config = _STRICT

    expression: str


class ParseResponse(BaseModel):
    variables: list[str] = Field(description="Free variables in order of first use.")
    names: list[str] = Field(description="Names assigned with `name = expr`.")


class GradcheckRequest(GraphRequest):
    eps: float = Field(1e-6, gt=0, lt=1, description="Step h of the central difference.")


class Optimizer(BaseModel):
    model_config = _STRICT

    name: Literal["sgd", "momentum", "adam"]
    lr: float = Field(gt=0, description="Learning rate η.")
    momentum: float | None = Field(None, ge=0, lt=1, description="μ (momentum; default 0.9).")
    beta1: float | None = Field(None, ge=0, lt=1, description="β1 (adam; default 0.9).")
    beta2: float | None = Field(None, ge=0, lt=1, description="β2 (adam; default 0.999).")
    eps: float | None = Field(None, gt=0, description="ε (adam; default 1e-8).")


class Batch(BaseModel):
    model_config = _STRICT

    size: int = Field(ge=1, description="Columns (samples) per update.")
    data: list[Name] = Field(min_length=1, description="The data variables to slice.")


class TrainRequest(BaseModel):
    model_config = _STRICT

    expression: str = Field(description="A program whose output is the scalar loss.")
    values: dict[Name, Tensor] = Field(default_factory=dict,
                                       description="Initial values of every variable.")
    params: list[Name] = Field(min_length=1, description="The variables to train.")
    optimizer: Optimizer
    l2: float = Field(0.0, ge=0, description="λ: the loss gets + λ·Σ‖p‖² over the params.")
    steps: int = Field(ge=1, description="Number of updates (at most BPV_MAX_TRAIN_STEPS).")
    batch: Batch | None = None
    detail: bool = Field(False, description="Include each update's arithmetic "
                                            "(param, grad, m, v, new); at most 100 steps.")
    track: bool = Field(False, description="Include the params each loss was measured at "
                                           "(for drawing paths; at most 16 numbers).")


class LandscapeRequest(BaseModel):
    model_config = _STRICT

    expression: str = Field(description="A program whose output is the scalar loss.")
    values: dict[Name, Tensor] = Field(default_factory=dict)
    params: list[Name] = Field(min_length=2, max_length=2,
                               description="The two scalar variables spanning the grid.")
    ranges: dict[Name, Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        description="[low, high] for each of the two params.")
    resolution: int = Field(41, ge=2, le=101, description="Grid points per axis.")


# ---- responses (documentation and schema checks; the routes send pre-encoded JSON)

NonFinite = Literal["NaN", "Infinity", "-Infinity"]
Number = Union[float, NonFinite]


class TensorSummary(BaseModel):
    summary: Literal[True]
    shape: list[int]
    size: int
    non_finite: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None


Value = Union[Number, list[Number], list[list[Number]], TensorSummary]


class Node(BaseModel):
    id: str
    kind: Literal["variable", "constant", "op"]
    op: str | None
    label: str
    name: str | None
    inputs: list[str]
    shape: list[int]
    value: Value
    grad: Value
    span: list[int]
    block: dict[str, Any] | None = None


class Edge(BaseModel):
    id: int
    source: str
    target: str
    index: int
    grad: Value


class Warning(BaseModel):
    type: Literal["non_finite"]
    phase: Literal["forward", "backward"]
    node: str
    value: NonFinite
    msg: str
    msg_ko: str


class GraphResponse(BaseModel):
    expression: str
    output: str
    value: Value
    gradients: dict[str, Value]
    nodes: list[Node]
    edges: list[Edge]
    steps: list[dict[str, Any]] = Field(description="Forward events, the seed, then one "
                                                    "backward event per edge (see the README).")
    warnings: list[Warning]


class VariableCheck(BaseModel):
    backprop: Value
    numeric: Value
    max_rel_error: Number
    checked: int
    elements: int


class GradcheckResponse(BaseModel):
    variables: dict[str, VariableCheck]
    max_rel_error: Number
    forward_evals: int
    backward_passes: int
    eps: float


class TrainStep(BaseModel):
    step: int
    loss: Number
    grad_norm: Number
    batch: list[int] | None = None
    update: dict[str, dict[str, Value]] | None = None
    params: dict[str, Value] | None = None


class TrainResponse(BaseModel):
    history: list[TrainStep]
    params: dict[str, Value]
    stopped: Literal["diverged", "time_limit"] | None = Field(
        description='null when every step ran; "diverged" after the first non-finite loss; '
                    '"time_limit" when the run stopped itself before the request\'s time '
                    'bound (BPV_TIMEOUT_S, counted from the moment the body arrived).')


class LandscapeResponse(BaseModel):
    x: list[float]
    y: list[float]
    loss: list[list[Number]] = Field(description="loss[j][i] is the loss at (x[i], y[j]).")


class ErrorItem(BaseModel):
    type: str
    loc: list[Union[str, int]]
    msg: str
    ctx: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]
