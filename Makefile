# Two commands for a fresh machine with Python 3.11 and make:
#   make demo   set up, then crawl the bundled offline replica into ./monitor.sqlite
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench clean lock

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

demo: setup
	$(BIN)/monitor demo

test: setup
	$(BIN)/pytest

bench: setup
	$(BIN)/pip install --quiet -c requirements.lock -e '.[bench]'
	for b in bench/*.py; do $(BIN)/python $$b --quick || exit 1; done

# Re-pin the whole dependency tree after changing pyproject.toml.
lock:
	$(BIN)/pip freeze --exclude-editable | grep -v "^-e " > requirements.lock

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
