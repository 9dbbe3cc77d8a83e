"""The load test's baseline: a bare FastAPI app with one POST endpoint that returns a constant
JSON object (no body parsing, no validation, no middleware, no worker processes). Served
exactly like the app (`uvicorn bench.bare_app:app --host 127.0.0.1 --port P`) and loaded
with the same requests, it measures what uvicorn + FastAPI alone can do on this machine.

The endpoint has the app's path, so the same load script drives both servers. A second one
(POST /api/body) receives the whole body and answers its length: what any JSON API pays for a
request before it can even decode it (bench/api_bench.py's floor for the 512² tensor body).
"""

from fastapi import FastAPI, Request

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

CONSTANT = {"ok": True}


@app.post("/api/graph")
async def constant():
    return CONSTANT


@app.post("/api/body")
async def body_length(request: Request):
    return {"bytes": len(await request.body())}
