# Two entry points for a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench compare clean fonts browser compiler

# Debian packages: a CJK font for Chinese PDF reports (make run and the tests); Chromium and
# poppler's pdftotext/pdftoppm for the browser and PDF tests. Installed with apt-get when
# missing and allowed (root); otherwise the line says what to install.
FONT_PKGS    := fonts-wqy-microhei
BROWSER_PKGS := chromium poppler-utils fonts-wqy-microhei
# A C compiler builds the compiled trees the service predicts with (tl2cgen; without one it
# predicts with LightGBM and says so in /v1/model).
COMPILER_PKGS := gcc libc6-dev
define apt_ensure
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
	  missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; \
	    apt-get install -y -q --no-install-recommends $$missing >/dev/null || \
	    (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null); \
	  else echo "missing Debian packages:$$missing (apt-get install$$missing)"; fi; \
	fi
endef

fonts:
	$(call apt_ensure,$(FONT_PKGS))

browser:
	$(call apt_ensure,$(BROWSER_PKGS))

compiler:
	$(call apt_ensure,$(COMPILER_PKGS))

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,xls]'
	touch $(STAMP)

## Main job: train a champion if none exists (on the real US DOE IAC audits shipped in
## features/data/iac and generated data calibrated to them; about 2 minutes, each stage printed),
## then serve on 127.0.0.1:8000
## (API keys off for this local run; see README for keys).
run: $(STAMP) fonts compiler
	$(BIN)/decarb-report
	$(BIN)/decarb-train --if-no-champion
	DECARB_AUTH_ENABLED=false $(BIN)/decarb-serve

## Lint, type-check and the test suite (what CI runs).
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser compiler
	$(BIN)/pytest

## Benchmarks (about 15-25 minutes on 2 cores; not part of the tests): speed, training growth, accuracy,
## load, scale, hardening (reload storm, /healthz under PDF load, RSS over 40,000 requests) into
## bench/results/, then docs/benchmarks.md written from those results; last, the MLflow model served
## in a fresh virtualenv (mlflow models serve --env-manager virtualenv, about 3 minutes) and the
## API contract at 400 generated requests per operation. The scripts' smoke test runs first.
bench: $(STAMP) compiler
	mkdir -p bench/results
	$(BIN)/pytest -m slow tests/test_bench_smoke.py
	$(BIN)/python bench/speed.py --out bench/results
	$(BIN)/python bench/train_time.py --sizes 1000 10000 100000 --dask-sizes 100000 --json bench/results/train_time.json
	$(BIN)/python bench/accuracy.py --out bench/results
	$(BIN)/python bench/load.py --out bench/results
	$(BIN)/python bench/scale.py --out bench/results
	$(BIN)/python bench/hardening.py all | tee bench/results/hardening.txt
	$(BIN)/pytest -m slow tests/models/test_pyfunc_serve.py tests/serving/test_schemathesis_all_checks.py
	DECARB_CONTRACT_EXAMPLES=400 $(BIN)/pytest tests/serving/test_contract.py
	$(BIN)/python bench/summary.py --results bench/results --doc docs/benchmarks.md

## Old and new side by side (about 4 minutes): make compare OLD=<git ref> [NEW=<git ref>]; each
## version trains and serves its own bundle, rounds alternate (bench/compare.py).
compare: $(STAMP) compiler
	$(BIN)/python bench/compare.py --old $(OLD) $(if $(NEW),--new $(NEW)) --out bench/results

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
