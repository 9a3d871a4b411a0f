# Set-up and everyday commands. Every target installs what it needs first, so a
# fresh machine needs only python3 (3.10+) with venv and pip, and make.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench im-venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job on the bundled blueprint.
demo: $(STAMP)
	$(PY) -m primage_tosca validate blueprints/
	$(PY) -m primage_tosca compile blueprints/hello-compute.yaml --to radl

# IM's own TOSCA converter, in a venv of its own (GPL-3.0, used only as a test peer).
im-venv:
	bash tools/im_venv.sh

# The whole test suite.
test: $(STAMP) im-venv
	PRIMAGE_TOSCA_IM_PYTHON=$(CURDIR)/.venv-im/bin/python $(PY) -m pytest

# Every benchmark beside its peer; rewrites BENCHMARKS.md.
bench: $(STAMP) im-venv
	PRIMAGE_TOSCA_IM_PYTHON=$(CURDIR)/.venv-im/bin/python $(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .venv-im .pytest_cache .hypothesis build *.egg-info
