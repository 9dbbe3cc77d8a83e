# The README's two commands are `make run` and `make test`; both set everything up first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: install chromium run test bench torch clean

install: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(STAMP)

run: install
	$(BIN)/uvicorn app.main:app --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

# Browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# Every suite runs even when an earlier one failed; the target fails if any did.
test: install chromium
	@status=0; \
	$(BIN)/python -m pytest || status=1; \
	node --test tests/js/ || status=1; \
	exit $$status

# The page benchmark compares with graphviz drawings (micrograd's draw_dot, torchviz): Debian's
# graphviz for `dot`, the Python graphviz package from the bench extra, torchviz in the torch
# venv. Without them it skips those comparisons: the app itself never needs them.
bench: install chromium torch
	@command -v dot >/dev/null || (apt-get update -qq && apt-get install -y -qq graphviz) || \
	  echo "graphviz not installed: the page benchmark will skip its graphviz comparisons"
	$(BIN)/python -m bench
	$(BIN)/python -m bench.torch_check --python $(TORCH)/bin/python

# PyTorch in a venv of its own, only for checking "Export as PyTorch" and for the page
# benchmark's torchviz comparison: it stays out of the app's dependencies. torch 2.13.0 is the
# CPU build here (pip's configuration serves torch-2.13.0+cpu from a local wheel directory;
# PyPI's own torch would pull gigabytes of CUDA). torch_check, the page benchmark (and the
# unit test that uses this venv when it exists) say "skipped" if it could not install.
TORCH := .venv-torch
torch:
	@test -x $(TORCH)/bin/python || $(PY) -m venv $(TORCH)
	@$(TORCH)/bin/python -c "import torch, torchviz, graphviz" 2>/dev/null || \
	  $(TORCH)/bin/pip install -q torch==2.13.0 numpy torchviz==0.0.3 graphviz==0.21 || true

clean:
	rm -rf $(VENV) $(TORCH) .pytest_cache .hypothesis
