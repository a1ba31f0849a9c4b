"""Real `faqbot worker` processes on this machine, for benchmarks and tests: started with a
given environment, waited for until every worker process has its model loaded, and stopped
(or killed) on demand."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from faqbot.queue import READY_MESSAGE

READY = re.compile(rf"{READY_MESSAGE} (\d+): model and embedder loaded")


@dataclass
class LocalWorker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready_children(self) -> list[int]:
        """Pool processes that finished loading and are still alive."""
        pids = [int(pid) for pid in READY.findall(self.log())]
        return [pid for pid in pids if _alive(pid)]

    def busy_child(self) -> int | None:
        """The pool process now running a task (the one to kill to simulate an OOM kill)."""
        children = self.ready_children()
        return children[-1] if children else None


@dataclass
class WorkerPool:
    env: dict[str, str]
    log_dir: Path
    workers: list[LocalWorker] = field(default_factory=list)

    def start(
        self,
        count: int = 1,
        queues: str = "answers,ingest",
        concurrency: int = 1,
        timeout_s: float = 300,
    ) -> None:
        started = [self._spawn(queues, concurrency) for _ in range(count)]
        deadline = time.monotonic() + timeout_s
        for worker in started:
            while len(worker.ready_children()) < concurrency:
                if worker.process.poll() is not None:
                    raise RuntimeError(
                        f"worker exited with {worker.process.returncode}: {worker.log()[-2000:]}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"worker not ready in {timeout_s:.0f} s: {worker.log()[-2000:]}"
                    )
                time.sleep(0.2)

    def _spawn(self, queues: str, concurrency: int) -> LocalWorker:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"worker-{len(self.workers)}.log"
        command = [
            sys.executable,
            "-m",
            "faqbot",
            "worker",
            f"--queues={queues}",
            f"--concurrency={concurrency}",
            "--loglevel=info",
        ]
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = LocalWorker(process, log_path)
        self.workers.append(worker)
        return worker

    def stop(self, timeout_s: float = 30) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
