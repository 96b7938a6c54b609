# The README's two commands: `make demo` (train, write graph, plot and weights) and `make test`.
# Each creates .venv when it is missing or older than pyproject.toml, then installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: test test-slow lint docs demo figures bench bench-cnn bench-lstm clean

# One stamp per extra: a stamp older than pyproject.toml (or a missing .venv) reinstalls.
$(BIN)/.installed-%: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[$*]"
	touch $@

DEMO_OUT ?= runs/demo

demo: $(BIN)/.installed-demo
	$(BIN)/tinygrad-nb train --out $(DEMO_OUT)
	@echo "pictures: $(DEMO_OUT)/graph.svg $(DEMO_OUT)/costs.png; explore the graph: $(DEMO_OUT)/graph.html"

figures: $(BIN)/.installed-dev
	$(BIN)/python scripts/readme_figures.py
	TINYGRAD_NB_UPDATE_DOCS_IMAGES=1 $(BIN)/python -m pytest -q tests/viz/test_explorer_browser.py  # docs/img/explorer.png

test: $(BIN)/.installed-dev
	$(BIN)/python -m pytest

test-slow: $(BIN)/.installed-dev
	$(BIN)/python -m pytest -m slow

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

# The documentation site from docs/ and the docstrings (mkdocs.yml), offline; --strict: a broken link or reference fails
docs: $(BIN)/.installed-docs
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(BIN)/.installed-bench
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/floors.py
	$(BIN)/python benchmarks/bench_cnn.py  # a CNN step against PyTorch's (skipped, saying so, without torch)
	$(BIN)/python benchmarks/bench_lstm.py  # an LSTM character-model step against PyTorch's (likewise)

# A CNN training step against PyTorch's (needs torch: pip install torch, the CPU build)
bench-cnn: $(BIN)/.installed-bench
	$(BIN)/python benchmarks/bench_cnn.py

# An LSTM character-model step against PyTorch's (needs torch)
bench-lstm: $(BIN)/.installed-bench
	$(BIN)/python benchmarks/bench_lstm.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info runs site
