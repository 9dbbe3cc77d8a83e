"""Request and response models. Strict: no "1.5" for 1.5, no true for 1, finite numbers only,
no unknown fields, rectangular tensors, variable names by the engine's one identifier rule
(app/engine/names.py)."""

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError

from app.engine.mistakes import MISTAKES
from app.engine.names import name_problem


def _valid_name(text):
    """The engine's rule (a Python identifier in NFKC form, at most 32 characters, no leading
    "__"), so the API accepts exactly the names the language does. The message says what is
    wrong without quoting the name; the error's loc holds the name itself when it is a safe
    one (app/api/errors.py)."""
    problem = name_problem(text)
    if problem is not None:
        kind, index, msg, msg_ko = problem
        # The type is the one the old regex check answered, so clients keep working.
        raise PydanticCustomError("string_pattern_mismatch",
                                  "not a valid variable name: {problem}",
                                  {"problem": msg, "index": index,
                                   "msg_ko": f"올바른 변수 이름이 아닙니다: {msg_ko}"})
    return text


Name = Annotated[str, AfterValidator(_valid_name), Field(
    description="A variable name: a Python identifier (letters of any script, digits, `_`), "
                "in NFKC form, at most 32 characters, not starting with `__`.")]


def _known_mistake(name):
    """One of the engine's mistakes; the message lists them (it never quotes the input)."""
    if name not in MISTAKES:
        known = ", ".join(MISTAKES)
        raise PydanticCustomError("unknown_mistake", "unknown mistake: the mistakes are {known}",
                                  {"known": known,
                                   "msg_ko": f"알 수 없는 실수 이름입니다. 가능한 이름: {known}"})
    return name


MistakeName = Annotated[str, AfterValidator(_known_mistake),
                        Field(json_schema_extra={"enum": list(MISTAKES)})]


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
    mistake: MistakeName | None = Field(
        None, description="Replay the backward pass with one classic mistake (GET "
                          "/api/mistakes): the answer's gradients are then the wrong ones, "
                          "with the right ones beside them.")


class ExportRequest(BaseModel):
    model_config = _STRICT

    expression: str = Field(description="The program, as for POST /api/graph.")
    values: dict[Name, Tensor] = Field(default_factory=dict, description="As for POST /api/graph.")
    output_grad: Tensor | None = Field(None, description="Seed of the backward pass (default: ones).")
    to: Literal["torch"] = Field("torch", description="The framework: PyTorch.")


class ExportResponse(BaseModel):
    to: str
    filename: str = Field(description="A name to save the script under.")
    script: str = Field(description="A runnable script that builds the same expression with the "
                                    "same values, runs backward() and prints the gradients.")


class ParseRequest(BaseModel):
    model_config = _STRICT

    expression: str


class ParseResponse(BaseModel):
    variables: list[str] = Field(description="Free variables in order of first use.")
    names: list[str] = Field(description="Names assigned with `name = expr`.")


class GradcheckRequest(GraphRequest):
    eps: float = Field(1e-6, gt=0, lt=1, description="Step h of the central difference.")


# The Optimizer model is derived from the engine's table (app/engine/optim.py).
from pydantic import create_model  # noqa: E402

from app.engine.optim import HYPERPARAMETERS, OPTIMIZERS  # noqa: E402


def _hyperparameter_field(h):
    """A request field from the engine's table: its bounds, whether it is required, and
    which optimizers read it."""
    bounds = {("gt" if h.low_open else "ge"): h.low}
    if h.high is not None:
        bounds["lt" if h.high_open else "le"] = h.high
    users = ", ".join(n for n, o in OPTIMIZERS.items() if h in o.hyperparameters)
    tail = "required" if h.default is None else f"default {h.default:g}"
    description = f"{h.description['en']} ({users}; {tail}.)"
    if h.default is None:
        return float, Field(description=description, **bounds)
    return float | None, Field(None, description=description, **bounds)


# Built from app/engine/optim.py's OPTIMIZERS: names, bounds and defaults are written there.
Optimizer = create_model(
    "Optimizer", __config__=_STRICT, __module__=__name__,
    __doc__="An optimizer and its hyperparameters (the list: GET /api/optimizers).",
    name=(Literal[tuple(OPTIMIZERS)], Field(description=" | ".join(
        f"{o.name}: {o.rule}" for o in OPTIMIZERS.values()))),
    **{key: _hyperparameter_field(h) for key, h in HYPERPARAMETERS.items()})


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


# Nodes, edges and the trace's events are generated from the engine's declarations
# (app/engine/trace.py), so the schema cannot drift from what the engine emits.
import typing  # noqa: E402

from pydantic import create_model  # noqa: E402

from app.engine import trace  # noqa: E402

_WIRE = {trace.EngineValue: Value, trace.Local: Union[Number, str],
         dict[str, trace.EngineValue]: dict[str, Value]}
_RECORD_CONFIG = ConfigDict(extra="forbid")


def _from_record(record, name):
    """A response model with the TypedDict's fields: engine numbers become their JSON form
    (`Value`), nested records models, `D[type, "text"]` a description, NotRequired keys
    optional (absent rather than null on the wire)."""
    fields = {}
    for key, hint in typing.get_type_hints(record, include_extras=True).items():
        if typing.get_origin(hint) in (typing.NotRequired, typing.Required):
            hint = typing.get_args(hint)[0]
        description = None
        if typing.get_origin(hint) is Annotated:
            hint, description = hint.__origin__, " ".join(hint.__metadata__)
        wire = _WIRE.get(hint, hint)
        if typing.is_typeddict(wire):
            wire = _from_record(wire, wire.__name__)
        if key in record.__optional_keys__:
            fields[key] = (wire | None, Field(None, description=description))
        else:
            fields[key] = (wire, Field(description=description))
    return create_model(name, __config__=_RECORD_CONFIG, __doc__=record.__doc__,
                        __module__=__name__, **fields)


Node = _from_record(trace.NodeRecord, "Node")
Edge = _from_record(trace.EdgeRecord, "Edge")
ForwardEvent = _from_record(trace.ForwardEvent, "ForwardEvent")
SeedEvent = _from_record(trace.SeedEvent, "SeedEvent")
EdgeEvent = _from_record(trace.EdgeEvent, "EdgeEvent")
Step = Annotated[Union[ForwardEvent, SeedEvent, EdgeEvent], Field(discriminator="kind")]
MistakeReport = _from_record(trace.MistakeReport, "MistakeReport")


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
    steps: list[Step] = Field(description="The replayable trace: one forward event per op "
                                          "node (topological order), the seed, then one "
                                          "backward event per edge.")
    warnings: list[Warning]
    mistake: MistakeReport | None = Field(
        None, description="Only when the request named a mistake: the right gradients and "
                          "what the wrong pass changed.")


class VariableCheck(BaseModel):
    backprop: Value
    numeric: Value
    max_rel_error: Number
    checked: int
    elements: int
    right_backprop: Value | None = Field(
        None, description="Only with a mistake: the right backprop gradient (`backprop` is "
                          "the wrong one).")


class GradcheckResponse(BaseModel):
    variables: dict[str, VariableCheck]
    max_rel_error: Number
    forward_evals: int
    backward_passes: int
    eps: float
    mistake: str | None = Field(None, description="Only with a mistake: its name.")


class LocalizedText(BaseModel):
    en: str
    ko: str


class MistakeInfo(BaseModel):
    name: str
    title: LocalizedText
    description: LocalizedText


class MistakesResponse(BaseModel):
    mistakes: list[MistakeInfo]


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
