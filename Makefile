# Unrolled: `make run` opens the app, `make test` runs the whole suite headless.
# Both create .venv and install the pinned dependencies on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-slow bench lint format screenshot clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@bash tools/bootstrap.sh "$(PYTHON)" "$(VENV)"
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	@bash tools/system_libs.sh gui "$(PY)"
	$(PY) main.py

test: $(STAMP)
	@bash tools/system_libs.sh offscreen "$(PY)"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow

bench: $(STAMP)
	@$(PY) -c "import torch" 2>/dev/null || $(VENV)/bin/pip install -q torch==2.13.0 \
	  || echo "torch==2.13.0 could not be installed: benchmarks run without the PyTorch reference"
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) main.py --screenshot docs/screenshot.png

clean:
	rm -rf $(VENV)
