"""`faqbot model-server`: llama.cpp's server with the model and every adapter trained for it,
under the names the openai engine asks for."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.pipelines.training.tiny_models import tuned_adapter
from workers.generation.llama_server import free_port

pytestmark = pytest.mark.slow


def faqbot_env(settings, **extra) -> dict:
    return {
        **os.environ,
        "FAQBOT_DATA_DIR": str(settings.data_dir),
        "FAQBOT_MODEL_CACHE": str(settings.model_cache_dir),
        **extra,
    }


def test_it_serves_the_model_and_each_adapter_by_id(settings):
    tuned_adapter(settings, "ad-listed", steps=1)
    port = free_port()
    command = [sys.executable, "-m", "faqbot", "model-server", "--port", str(port)]
    server = subprocess.Popen(command, env=faqbot_env(settings), stderr=subprocess.PIPE, text=True)
    try:
        names, deadline = [], time.monotonic() + 120
        while not names and time.monotonic() < deadline:
            try:
                listing = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).json()
                names = [entry["id"] for entry in listing["data"]]
            except httpx.HTTPError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.3)
        assert names == ["SmolLM2-135M-Instruct", "ad-listed"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (settings.adapters_dir / "ad-listed" / "lora-SmolLM2-135M-Instruct.Q4_1.gguf").is_file()


def test_a_model_that_is_not_a_gguf_file_is_one_line(settings):
    env = faqbot_env(settings, FAQBOT_LLM_MODEL="microsoft/Phi-3-mini-4k-instruct")
    command = [sys.executable, "-m", "faqbot", "model-server"]
    result = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    expected = (
        "error: the llama.cpp engine runs GGUF files, and 'microsoft/Phi-3-mini-4k-instruct' is "
        "not one: set FAQBOT_LLM_MODEL to a .gguf file"
    )
    assert result.stderr.strip().splitlines() == [expected]
