"""Resource limits, checked before anything large is allocated (docs/engine.md "Limits")."""

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
    max_total_elements: int = 16_000_000  # peak: values, gradients, temporaries (graph.py)
    max_flops: float = 4e9  # forward + backward estimate from inferred shapes
    max_gradcheck_evals: int = 2_000  # forward evaluations one gradient check may spend
    # evaluations × the cost of one, in node-evaluations (~0.3–0.4 µs each): about 1 s;
    # sampled below that, refused up front when even one element per variable is more
    # (gradcheck.py; calibration in docs/engine.md)
    max_gradcheck_work: float = 2e6


DEFAULT_LIMITS = Limits()  # the server and CLI read overrides from BPV_* (app/settings.py)
