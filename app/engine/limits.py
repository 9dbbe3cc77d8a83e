"""Resource limits, checked before anything large is allocated (DESIGN §6)."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Limits:
    # Defaults fit a 10,000-operation scalar program (~13,000 nodes, ~100,000 characters)
    # and a 512×512 matmul, and keep a single evaluation well under a second.
    max_chars: int = 200_000
    max_nodes: int = 50_000
    max_depth: int = 256  # open parentheses, calls, pending unary minus and right-assoc powers
    max_variables: int = 1_000
    max_rank: int = 2
    max_input_elements: int = 1_048_576  # per variable
    max_total_elements: int = 16_000_000  # over all nodes, values and gradients counted once
    max_flops: float = 4e9  # forward + backward estimate from inferred shapes
    max_gradcheck_evals: int = 2_000  # forward evaluations one gradient check may spend


DEFAULT_LIMITS = Limits()  # the server and CLI read overrides from BPV_* (app/settings.py)
