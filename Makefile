# The two commands: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/vnetlab demo
	$(VENV)/bin/vnetlab run docs/tutorial/09-lvs-vs-tun.yaml

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(VENV)/bin/vnetlab bench

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
