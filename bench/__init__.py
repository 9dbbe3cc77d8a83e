"""Benchmarks (run with `make bench`, i.e. `.venv/bin/python -m bench`). Not tests: pytest
never collects this package (no `test_` files, and `testpaths` is `tests/`)."""
