# One command sets up and runs the main job (make demo); one runs the tests (make test).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The host's llama-bench: built once from the pinned llama-cpp-python sdist, cached by version.
setup: $(STAMP)
	@bash scripts/system_deps.sh
	@PIP=$(BIN)/pip bash scripts/build_llama_bench.sh > $(VENV)/llama-bench.path
	@$(BIN)/bench runners add llama.cpp --abi linux-$$(uname -m) "$$(tail -1 $(VENV)/llama-bench.path)"

demo: setup
	$(BIN)/python scripts/demo.py

test: setup
	LLAMA_BENCH="$$(tail -1 $(VENV)/llama-bench.path)" $(BIN)/python -m pytest -q

# Every speed/quality target of the issues, measured in one run each (ratios, not timings).
bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; \
	  LLAMA_BENCH="$$(tail -1 $(VENV)/llama-bench.path)" $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out
