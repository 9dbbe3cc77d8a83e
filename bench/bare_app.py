"""The load test's baseline: a bare FastAPI app with one POST endpoint that returns a constant
JSON object (no body parsing, no validation, no middleware, no worker processes). Served
exactly like the app (`uvicorn bench.bare_app:app --host 127.0.0.1 --port P`) and loaded
with the same requests, it measures what uvicorn + FastAPI alone can do on this machine.

The endpoint has the app's path, so the same load script drives both servers.
"""

from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

CONSTANT = {"ok": True}


@app.post("/api/graph")
async def constant():
    return CONSTANT
