# Set-up and everyday commands. Every target installs what it needs first, so a
# fresh machine needs only python3 (3.10+) with venv and pip, and make.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench im-venv ec3-venv puccini-venv neovim local-im clean

# The editable install puts the checkout on sys.path through a .pth line
# (editable_mode=compat), as an installed package sits there: setuptools'
# default import hook would cost every command's start-up milliseconds.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

# The main job on a bundled blueprint, the PRIMAGE elastic Kubernetes cluster
# (`make demo DEMO_BLUEPRINT=blueprints/hello-compute.yaml DEMO_INPUTS=` for the
# smallest): validate, compile, deploy it on the local IM (Dummy cloud,
# 127.0.0.1) unless PRIMAGE_TOSCA_IM_URL names another, inspect it, read its
# outputs and undeploy it.
DEMO_BLUEPRINT ?= blueprints/kubernetes-cluster.yaml
DEMO_INPUTS ?= -i front_image=ost://cloud.example.org/ubuntu-22.04 -i wn_image=ost://cloud.example.org/ubuntu-22.04
DEMO_NAME := demo-$(shell date +%Y%m%d-%H%M%S)
IM_ENV := PRIMAGE_TOSCA_IM_PYTHON=$(CURDIR)/.venv-im/bin/python

demo: $(STAMP) im-venv
	$(PY) -m primage_tosca validate blueprints/
	$(PY) -m primage_tosca compile $(DEMO_BLUEPRINT) --to radl $(DEMO_INPUTS)
	$(IM_ENV) $(PY) -m primage_tosca deploy $(DEMO_BLUEPRINT) $(DEMO_INPUTS) --name $(DEMO_NAME) --no-contextualize --wait
	$(IM_ENV) $(PY) -m primage_tosca inspect $(DEMO_NAME)
	$(IM_ENV) $(PY) -m primage_tosca outputs $(DEMO_NAME)
	$(IM_ENV) $(PY) -m primage_tosca undeploy $(DEMO_NAME)

# A local IM server for your own use (stop it with `primage-tosca local-im stop`).
local-im: $(STAMP) im-venv
	$(IM_ENV) $(PY) -m primage_tosca local-im start

# IM's own TOSCA converter, in a venv of its own (GPL-3.0, used only as a test peer).
im-venv:
	bash tools/im_venv.sh

# The real ec3-cli, the peer of the EC3 target's tests, in a venv of its own.
ec3-venv:
	bash tools/ec3_venv.sh

# Puccini (a TOSCA processor in Go, shipped as a Python wheel), the TOSCA 2.0
# peer and oracle, in a venv of its own; tools/puccini_validate.py runs in it.
puccini-venv:
	bash tools/puccini_venv.sh

# Neovim, for the test that runs the language server in a real editor; installed
# only when missing and apt-get is at hand, and never fatal (the test skips without it).
neovim:
	@command -v nvim >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
		{ (apt-get update -qq && apt-get install -y -qq neovim) >/dev/null 2>&1 || \
		  echo "note: could not install neovim; its test will be skipped"; }

# The whole test suite.
test: $(STAMP) im-venv ec3-venv neovim
	$(IM_ENV) PRIMAGE_TOSCA_EC3=$(CURDIR)/.venv-ec3/bin/ec3 $(PY) -m pytest

# Every benchmark beside its peer; rewrites BENCHMARKS.md.
bench: $(STAMP) im-venv
	$(IM_ENV) $(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .venv-im .venv-ec3 .venv-puccini .pytest_cache .hypothesis build *.egg-info
