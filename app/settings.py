"""All configuration in one place, read from `BPV_*` environment variables."""

import dataclasses
import functools

from pydantic import create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine import Limits

# Engine limits, checked before anything large is allocated (docs/engine.md "Limits"): one
# setting per field of app/engine/limits.py's `Limits`, with its name (BPV_ + the name in
# capitals) and its default, derived here rather than written out a second time.
EngineLimits = create_model(
    "EngineLimits", __base__=BaseSettings, __module__=__name__,
    **{f.name: (f.type if isinstance(f.type, type) else type(f.default), f.default)
       for f in dataclasses.fields(Limits)})


class Settings(EngineLimits):
    model_config = SettingsConfigDict(env_prefix="BPV_", frozen=True)

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
        return Limits(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Limits)})


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()
