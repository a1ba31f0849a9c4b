"""The `faqbot` command run in-process under the test's settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.fixture
def faqbot(settings, embedder):
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args))

    return run
