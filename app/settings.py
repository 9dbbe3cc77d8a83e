"""All configuration in one place, read from `BPV_*` environment variables."""

import functools

from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine import Limits

_L = Limits  # the engine's defaults are the defaults here too


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BPV_", frozen=True)

    # Engine limits (DESIGN §6), checked before anything large is allocated.
    max_chars: int = _L.max_chars
    max_nodes: int = _L.max_nodes
    max_depth: int = _L.max_depth
    max_variables: int = _L.max_variables
    max_rank: int = _L.max_rank
    max_input_elements: int = _L.max_input_elements
    max_total_elements: int = _L.max_total_elements
    max_flops: float = _L.max_flops
    max_gradcheck_evals: int = _L.max_gradcheck_evals
    max_gradcheck_work: float = _L.max_gradcheck_work
    max_train_steps: int = 10_000  # updates in one training request (time_s bounds it too)

    # HTTP
    max_body_bytes: int = 32 * 1024 * 1024  # a 512×512 matmul's inputs are ~11 MB of JSON
    max_tensor_elements: int = 4096  # larger tensors are summarised in responses
    max_response_bytes: int = 16 * 1024 * 1024  # a 10,000-op program's answer is ~9 MB
    max_requests: int = 256  # API requests in progress at once (per app instance)
    max_inflight_mb: int = 192  # request + response bodies held at once (per app instance)
    read_timeout_s: float = 20.0  # to receive a whole request body
    write_timeout_s: float = 30.0  # a client may read nothing of its response this long
    max_errors: int = 20  # entries in one error response
    cors_origins: str = ""  # comma-separated; empty means no CORS headers at all

    # Work isolation: each request runs in a killable worker process.
    workers: int = 2  # engine processes per app instance
    timeout_s: float = 2.0  # wall-clock bound per request inside a worker
    queue_timeout_s: float = 1.0  # wait for a free worker before answering 503
    max_queue: int = 64  # waiting requests beyond this get 503 at once
    worker_memory_mb: int = 2048  # address-space limit of a worker process

    def limits(self) -> Limits:
        return Limits(**{name: getattr(self, name) for name in Limits.__dataclass_fields__})


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
