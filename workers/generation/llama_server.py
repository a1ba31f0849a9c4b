"""llama.cpp's OpenAI-compatible server (llama-cpp-python[server]): `faqbot model-server` for
CPU installations, and on loopback what `faqbot bench generate` measures the serving backend
against and what its tests answer through. It serves the model by its name and each adapter
trained for it by the adapter's id (as a LoRA GGUF), the names the openai engine asks for."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_S = 120.0


@dataclass(frozen=True)
class ServedModel:
    """One name the server answers to: a GGUF file, optionally with a LoRA GGUF applied."""

    alias: str
    model: Path
    lora: Path | None = None


class ServerFailed(RuntimeError):
    """The server exited or never answered; the message holds the end of its log."""


def server_config(
    models: list[ServedModel], *, port: int, threads: int, context: int, host: str = "127.0.0.1"
) -> dict:
    """llama_cpp.server's config file. Requests are not interrupted by newer ones (its default
    cuts a streaming answer short whenever another request waits)."""
    entries = []
    for served in models:
        entry = {
            "model": str(served.model),
            "model_alias": served.alias,
            "n_ctx": context,
            "n_threads": threads,
            "n_threads_batch": threads,
            "verbose": False,
        }
        if served.lora:
            entry["lora_path"] = str(served.lora)
        entries.append(entry)
    return {"host": host, "port": port, "interrupt_requests": False, "models": entries}


def models_to_serve(settings) -> list[ServedModel]:
    """FAQBOT_LLM_MODEL's GGUF by its name, then every adapter trained for it (that is not
    rejected) by its id, converted to a LoRA GGUF if it is not yet."""
    from faqbot.db import adapters
    from faqbot.db.engine import session_scope
    from faqbot.settings import model_id
    from workers.generation.loading import gguf_file
    from workers.generation.lora_gguf import convert_adapter

    base = gguf_file(settings.llm_model)
    served = [ServedModel(model_id(settings.llm_model), base)]
    with session_scope(settings) as session:
        rows = [
            (row.id, row.path)
            for row in adapters.all_adapters(session)
            if row.base_model == served[0].alias and row.status != adapters.REJECTED
        ]
    for adapter_id, path in rows:
        served.append(ServedModel(adapter_id, base, convert_adapter(Path(path), base)))
    return served


def run_server(
    models: list[ServedModel], *, host: str, port: int, threads: int, context: int
) -> int:
    """Runs the server in the foreground until it stops; returns its exit status."""
    with tempfile.TemporaryDirectory(prefix="faqbot-llama-server-") as folder:
        config = Path(folder) / "config.json"
        settings = server_config(models, port=port, threads=threads, context=context, host=host)
        config.write_text(json.dumps(settings))
        command = [sys.executable, "-m", "llama_cpp.server", "--config_file", str(config)]
        try:
            return subprocess.call(command)
        except KeyboardInterrupt:
            return 130


@contextmanager
def llama_server(
    models: list[ServedModel], *, threads: int = 2, context: int = 4096
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Runs the server until the block ends; yields its base URL (…/v1) and process."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="faqbot-llama-server-") as folder:
        config, log_path = Path(folder) / "config.json", Path(folder) / "server.log"
        settings = server_config(models, port=port, threads=threads, context=context)
        config.write_text(json.dumps(settings))
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--config_file", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base_url = f"http://127.0.0.1:{port}/v1"
            try:
                _wait_until_up(base_url, process, log_path)
                yield base_url, process
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_memory_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait_until_up(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(
                f"llama.cpp server exited with {process.returncode}: {_log_tail(log_path)}"
            )
        try:
            if httpx.get(f"{base_url}/models", timeout=1.0).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ServerFailed(f"llama.cpp server not up after {STARTUP_S:g} s: {_log_tail(log_path)}")


def _log_tail(log_path: Path) -> str:
    lines = log_path.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else "(no output)"
