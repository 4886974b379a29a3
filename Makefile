# The two commands the README starts with. Both create .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site test fast-test setup clean

site: setup  ## set up and build the demo site into _site/
	$(BIN)/thread build

test: setup  ## set up and run the whole test suite (on every core: pytest-xdist)
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

fast-test: setup  ## everything but the browser tests (Chromium, axe, HTML validator)
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder -m "not browser"

# setup installs the figures and cluster extras, so a torch or Ray test that would skip (the
# extra missing) fails instead.
test fast-test: export THREAD_REQUIRE_TORCH = 1
test fast-test: export THREAD_REQUIRE_RAY = 1

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[figures,dev,cluster]'
	@touch $(STAMP)

clean:
	rm -rf _site .pytest_cache
