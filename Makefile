# asr-preflight: the two commands of the README, on a fresh Debian machine with python3 and make.
#   make demo   check the bundled demo estate (reports in reports/demo/)
#   make test   lint, type-check and run the whole test suite
# As root, missing Debian packages (python3-venv, the test lab's tools) are installed with apt-get.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the tests need (sshd, proxy, firewall and namespaces for the guest lab,
# headless Chromium for the browser test). Add yours here.
APT_PACKAGES ?= openssh-server tinyproxy nftables iproute2 chromium lvm2 sudo strace
# npm packages the tests use as real consumers of the reports (axe-core in the browser test,
# the SARIF multitool's GitHub rules), installed into a cache directory, never into git.
NPM_TOOLS ?= .cache/npm-tools
NPM_PACKAGES ?= axe-core@4.10 @microsoft/sarif-multitool@5.7
DEMO_ARGS ?=
PYTEST_ARGS ?= -q
# The lowest-versions run: every runtime dependency at its pyproject.toml floor, in its own venv,
# running the tests that exercise those libraries (Azure SDK + identity against the fake ARM, the
# CLI on typer/click, plan and reports on pydantic/jinja2, guest parsing).
LOWEST_VENV ?= .venv-lowest
LOWEST_TESTS ?= tests/arm tests/cli tests/core tests/reporters tests/guest tests/gates/test_cli_check.py tests/gates/test_cli_gates.py
# The shipped JSON Schemas are generated in the development venv: pydantic < 2.13 leaves out the
# dataclass docstrings as descriptions, so the staleness check is not a floor check.
LOWEST_DESELECT ?= --deselect tests/reporters/test_generated_files.py::test_shipped_schemas_are_current
LINT_PATHS := $(wildcard src rules checks tests bench examples)

.PHONY: demo test test-lowest lint venv apt-packages npm-tools clean

venv: $(BIN)/python

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) >/dev/null 2>&1 || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "python3 -m venv failed: installing python3-venv"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
	      && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "error: '$(PYTHON) -m venv' failed; install python3-venv (as root: apt-get install python3-venv)" >&2; \
	    exit 1; \
	  fi; }

demo: venv
	$(BIN)/python -m pip install -q .
	@code=0; $(BIN)/asr-preflight demo $(DEMO_ARGS) || code=$$?; \
	case $$code in \
	  0) meaning="every VM Ready";; \
	  1) meaning="at least one VM Not ready";; \
	  2) meaning="usage or plan error, nothing was checked";; \
	  3) meaning="no failure, but readiness unknown for at least one VM";; \
	  4) meaning="warnings only, with --strict";; \
	  5) meaning="internal error (a bug)";; \
	  *) meaning="unexpected exit code";; \
	esac; \
	echo ""; echo "asr-preflight demo exited with $$code: $$meaning"; \
	case $$code in 0|1|3|4) exit 0;; *) exit 1;; esac

apt-packages:
	@missing=""; for pkg in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "warning: missing Debian packages:$$missing (not root: tests that need them will skip)" >&2; \
	fi

npm-tools: apt-packages
	@if [ -x $(NPM_TOOLS)/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool ] \
	  && [ -f $(NPM_TOOLS)/node_modules/axe-core/axe.min.js ]; then exit 0; fi; \
	if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages: nodejs npm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi; \
	if command -v npm >/dev/null; then \
	  echo "installing npm packages into $(NPM_TOOLS): $(NPM_PACKAGES)"; \
	  mkdir -p $(NPM_TOOLS) && npm install --silent --no-audit --no-fund --prefix $(NPM_TOOLS) $(NPM_PACKAGES) \
	  && chmod u+x $(NPM_TOOLS)/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool; \
	else \
	  echo "warning: npm is missing: the axe-core and SARIF multitool checks will skip" >&2; \
	fi

test: venv apt-packages npm-tools
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	@code=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || code=$$?; \
	if [ $$code = 5 ]; then echo "error: pytest collected no tests (exit 5); that is a failure" >&2; fi; \
	exit $$code
	$(MAKE) --no-print-directory test-lowest

# Proves the dependency floors: installs exactly `name==floor` for every runtime dependency
# (constraints generated from pyproject.toml) and runs LOWEST_TESTS at those versions.
test-lowest: $(LOWEST_VENV)/installed
	$(LOWEST_VENV)/bin/python tools/lowest_constraints.py --check
	@code=0; $(LOWEST_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not lab and not browser" $(LOWEST_DESELECT) $(LOWEST_TESTS) || code=$$?; \
	if [ $$code = 5 ]; then echo "error: pytest collected no tests (exit 5); that is a failure" >&2; fi; \
	exit $$code

# The lowest venv's install runs again only when pyproject.toml (floors, extras, entry points) or
# the constraints writer changes: the project is installed editable, so a source change needs no
# reinstall, and pip fetches only what the venv lacks. `venv` first: it installs python3-venv.
$(LOWEST_VENV)/installed: pyproject.toml tools/lowest_constraints.py | venv
	@test -x $(LOWEST_VENV)/bin/pip || { rm -rf $(LOWEST_VENV) && $(PYTHON) -m venv $(LOWEST_VENV); }
	$(PYTHON) tools/lowest_constraints.py > $(LOWEST_VENV)/constraints-lowest.txt
	$(LOWEST_VENV)/bin/python -m pip install -q -c $(LOWEST_VENV)/constraints-lowest.txt -e '.[test]'
	@touch $@

clean:
	rm -rf $(VENV) $(LOWEST_VENV) build dist .mypy_cache .ruff_cache .pytest_cache .cache
