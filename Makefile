# dataforge: `make demo` and `make test` work on a fresh clone.
# Python: mrjob 0.7.4 runs on 3.9-3.12 (3.13 removed a module it imports);
# we take python3.11 when it is on PATH, else python3.
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := data/sample/jobs.jsonl.gz
COMPANIES := data/sample/companies.csv.gz
TRUTH := data/sample/companies-truth.csv.gz
DEMO := demo-out

.PHONY: install demo test bench sample clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
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
	@echo "== dataforge dedup match --refine: the same firm written differently, pairs and groups"
	$(BIN)/dataforge dedup match $(COMPANIES) --refine -o $(DEMO)/pairs.csv --groups $(DEMO)/groups.csv
	@echo "   the 5 best pairs that are not the same name:"
	@awk -F, 'NR == 1 || ($$2 != $$4 && n++ < 5)' $(DEMO)/pairs.csv
	@echo "== dataforge dedup bench: pairwise fuzzy matching against dataforge, scored against the truth"
	$(BIN)/dataforge dedup bench $(COMPANIES) --sizes 1000,5000 --truth $(TRUTH) --plot $(DEMO)/bench.png
	@echo "Outputs are in $(DEMO)/."

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/run.py

# Regenerate the bundled sample (deterministic: same bytes every time).
sample: install
	$(BIN)/python -m dataforge.synthetic jobs -n 3000 --seed 2018 -o $(SAMPLE)
	$(BIN)/python -m dataforge.synthetic companies -n 5000 --seed 2021 -o $(COMPANIES) --truth $(TRUTH)

clean:
	rm -rf $(VENV) $(DEMO) benchmarks/work .pytest_cache
