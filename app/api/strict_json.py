"""Request bodies parsed by orjson: strict JSON only.

orjson refuses NaN, Infinity, 1e999 and nesting deeper than 1024 levels; Python's
json.loads accepts the first three and can exhaust the stack on the last. Its decode error
is a json.JSONDecodeError, which FastAPI reports as a 422 `json_invalid`.
"""

import orjson
from fastapi import Request
from fastapi.routing import APIRoute


class StrictJSONRequest(Request):
    async def json(self):
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self):
        handler = super().get_route_handler()

        async def strict_handler(request: Request):
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
