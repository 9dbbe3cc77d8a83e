"""The REST API: thin routes over the engine (DESIGN §5)."""
