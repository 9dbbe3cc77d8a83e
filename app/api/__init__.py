"""The REST API (README.md "REST API"): thin routes over the engine."""
