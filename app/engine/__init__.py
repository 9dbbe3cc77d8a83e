"""The engine: the expression language, ops, graph, autodiff, gradient check, optimizers.

Pure Python + numpy; nothing here imports a web framework.
"""

from .errors import ExpressionError
from .evaluate import Result, evaluate
from .gradcheck import gradcheck
from .limits import DEFAULT_LIMITS, Limits
from .mistakes import MISTAKES
from .ops import OPS
from .optim import OPTIMIZERS, Trainer, landscape, train
from .parser import Program, parse

__all__ = ["evaluate", "gradcheck", "train", "Trainer", "landscape", "parse", "ExpressionError", "Limits",
           "DEFAULT_LIMITS", "OPS", "OPTIMIZERS", "MISTAKES", "Result", "Program"]
