"""The ASGI app (`uvicorn app.main:app`): API routes, the page, static files, API docs."""

import contextlib
import ctypes
import functools
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.api import errors
from app.api.jobs import InProcessBudget
from app.api.middleware import BodyRules, InFlight, SecurityHeaders
from app.api.routes import REQUEST_MODELS, router
from app.api.workers import WorkerPool
from app.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent


def _openapi(app):
    """FastAPI's schema, plus the request models of the routes that read raw bodies."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in REQUEST_MODELS:
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(model_schema.pop("$defs", {}))
            components[model.__name__] = model_schema
        app.openapi_schema = schema
    return app.openapi_schema


def _give_freed_memory_back():
    """Serve large buffers (bodies, answers) from mmap, which returns them to the system when
    freed. glibc raises its mmap threshold after the first large free, so later buffers come
    from the heap and stay resident: after a burst of 16 MB answers the server would keep
    hundreds of MB it no longer uses (docs/benchmarks.md, "Hostile clients")."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc: nothing to tune
    libc.mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        _give_freed_memory_back()
        await app.state.pool.start()
        yield
        await app.state.pool.stop()

    app = FastAPI(title="Backprop Visualizer", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Computation graphs with every value, gradient and chain-rule "
                              "step. Try POST /api/graph with the tutorial's `(x+y)*z`.")
    app.state.settings = settings
    app.state.pool = WorkerPool(settings)
    app.state.in_process = InProcessBudget()
    app.include_router(router)
    app.openapi = functools.partial(_openapi, app)
    errors.install(app, settings)
    templates = Jinja2Templates(directory=ROOT / "templates")
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request):
        return templates.TemplateResponse(request, "index.html")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs(request: Request):
        return templates.TemplateResponse(request, "docs.html")

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_methods=["GET", "POST"],
                           allow_headers=["content-type"],
                           allow_origins=[o.strip() for o in settings.cors_origins.split(",")])
    app.add_middleware(BodyRules, max_body_bytes=settings.max_body_bytes,
                       read_timeout_s=settings.read_timeout_s)
    app.add_middleware(InFlight, max_requests=settings.max_requests,
                       max_bytes=settings.max_inflight_mb * 1024 * 1024,
                       write_timeout_s=settings.write_timeout_s)
    app.add_middleware(SecurityHeaders)
    return app


app = create_app()
