# The two commands a newcomer needs: `make run` and `make test`. Everything else is listed by `make help`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY311 ?= $(shell command -v python3.11 2>/dev/null || echo $(PYENV_ROOT)/versions/3.11.7/bin/python)
PY310 ?= $(PYENV_ROOT)/versions/3.10.13/bin/python
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
MODEL := models/assistant.tar.gz
RASA_INPUTS = config.yml $(sort $(wildcard domain/*.yml)) $(sort $(shell find data -name '*.yml'))
export TF_CPP_MIN_LOG_LEVEL := 3
# Rasa imports the project's custom component (rasa_addons/) from here.
export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup train data index run test lint unit rasa-checks calendar bench eval loadtest audit browser-deps clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/app.txt pyproject.toml
	@echo "== app environment (Python 3.11, $(VENV))"
	test -x $(PY) || $(PY311) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==24.2
	# torch first, pinned to the local CPU build, so that nothing pulls a CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements/app.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt
	@echo "== rasa environment (Python 3.10, $(RASA_VENV))"
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install -q --upgrade pip==24.2
	$(RASA_VENV)/bin/python -m pip install -q -r requirements/rasa.txt
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed ## create both Python environments (skipped when up to date)

train: $(RASA_VENV)/.installed ## train the Rasa model if its inputs changed
	@mkdir -p models var/log
	@hash=$$(cat $(RASA_INPUTS) | sha256sum | cut -c1-16); \
	if [ -f $(MODEL) ] && [ "$$(cat models/.inputs 2>/dev/null)" = "$$hash" ]; then \
	  echo "== rasa model up to date"; \
	else \
	  echo "== training rasa model (log: var/log/train.log)"; \
	  $(RASA) train --domain domain --data data --config config.yml --out models \
	    --fixed-model-name assistant > var/log/train.log 2>&1 || { tail -n 40 var/log/train.log; exit 1; }; \
	  echo "$$hash" > models/.inputs; \
	fi

data: $(VENV)/.installed ## migrate the database and seed demo data if it is empty
	$(VENV)/bin/assistant db upgrade
	$(VENV)/bin/assistant demo seed --if-empty

index: $(VENV)/.installed ## build the knowledge index if documents changed
	$(VENV)/bin/assistant kb build

run: setup train data index ## set up everything and start the assistant (Ctrl-C stops it)
	$(VENV)/bin/assistant run

browser-deps: ## chromium from Debian and axe-core from npm for the browser tests
	@test -x /usr/bin/chromium || { echo "== installing chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) > var/log/apt.log 2>&1 \
	  || { tail -n 20 var/log/apt.log; exit 1; }; }
	@if [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules ]; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check assistant tests rasa_addons tools

unit: setup train data index browser-deps ## pytest: unit, integration and browser tests
	$(PY) -m pytest -q

rasa-checks: train ## rasa data validate, rasa test nlu (macro F1 gate) and rasa test on the test stories
	$(RASA) data validate --domain domain --data data --config config.yml --fail-on-warnings > var/log/validate.log 2>&1 \
	  || { tail -n 40 var/log/validate.log; exit 1; }
	@echo "== rasa data validate: ok"
	$(RASA) test nlu --nlu tests/nlu --model $(MODEL) --out var/results/nlu > var/log/test-nlu.log 2>&1 \
	  || { tail -n 40 var/log/test-nlu.log; exit 1; }
	$(PY) tools/check_nlu.py var/results/nlu/intent_report.json --min-macro-f1 0.93
	$(RASA) test core --stories tests/stories --model $(MODEL) --out var/results/core \
	  --fail-on-prediction-errors > var/log/test-core.log 2>&1 || { tail -n 60 var/log/test-core.log; exit 1; }
	@echo "== rasa test core: all test stories passed"

test: lint rasa-checks unit ## set up everything and run the whole suite

# The tests that ask "what day is it", with the one clock (assistant/clock.py) pinned to days that once broke them.
CALENDAR_DAYS ?= $(shell for d in "next thursday" "next friday" "next sunday" "$$(( $$(date +%Y) + 1 ))-01-01"; \
	do date -d "$$d" +%F; done)
CALENDAR_TESTS := tests/test_clock.py tests/actions tests/commerce tests/integration/test_orders.py \
	tests/integration/test_handoff.py tests/integration/test_rfq.py
calendar: setup train ## the date-sensitive tests with the clock pinned to a Thu, a Fri, a Sun and Jan 1
	@mkdir -p var/log; rc=0; for day in $(CALENDAR_DAYS); do \
	  echo "== date-sensitive tests with ASSISTANT_TODAY=$$day ($$(date -d $$day +%A))"; \
	  ASSISTANT_TODAY=$$day $(PY) -m pytest -q -p no:cacheprovider -m "not browser" $(CALENDAR_TESTS) \
	    > var/log/calendar-$$day.log 2>&1 || rc=1; tail -n 1 var/log/calendar-$$day.log; \
	done; [ $$rc -eq 0 ] || { echo "== calendar FAILED: see var/log/calendar-*.log"; exit 1; }

bench: setup train data index ## benchmarks against the running stack; results in var/bench/ and docs/benchmarks.md
	$(PY) -m assistant.bench
	$(PY) tools/bench_parsers.py
	$(PY) tools/bench_insights.py --keep

eval: setup train data index ## retrieval eval (hit@k, MRR) and answer eval (what the user reads, tests/eval/answers.yml)
	$(PY) -m assistant.retrieval.eval
	$(PY) tools/answer_eval.py

loadtest: setup train data index ## 50 conversations x 60 s: default, production (PostgreSQL+Redis, 2+2 workers), stock Rasa
	$(PY) -m assistant.loadtest

audit: setup ## known advisories in both pin files vs requirements/audit-allowlist.yml; offline snapshot, ONLINE=1 asks OSV (not in make test)
	$(PY) -m pip install -q -r requirements/audit.txt
	$(PY) tools/audit.py $(if $(ONLINE),--online,)

clean: ## remove runtime files (var/) and trained models; keeps the environments
	rm -rf var models
