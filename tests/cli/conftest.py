"""The `faqbot` command run in-process under the test's settings, and a StackFAQ of four
threads for the commands that read one."""

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


THREADS = [
    (
        "How do I reset my password?",
        ["I forgot my password", "password reset steps"],
        ["Open the account page and choose reset password.", "Ask IT to reset it for you."],
    ),
    (
        "When does the car park open?",
        ["car park opening hours", "what time can I park"],
        ["The car park opens at 7am on weekdays."],
    ),
    (
        "Where is lunch served?",
        ["where can I eat lunch", "canteen location"],
        ["Lunch is served in the canteen on floor 2 from noon."],
    ),
    (
        "How do I book a meeting room?",
        ["reserve a room", "meeting room booking"],
        ["Book rooms in the calendar app under Rooms."],
    ),
]


@pytest.fixture
def tiny_stackfaq(tmp_path):
    """Four threads in StackFAQ's format: threads 0 and 2 are dev, 1 and 3 test."""
    pairs = []
    for question, rephrasings, answers in THREADS:
        rephr = "".join(f"<rephr>{r}</rephr>" for r in rephrasings)
        body = "".join(f"<answer>{a}</answer>" for a in answers)
        pairs.append(f"<qapair><question>{question}</question>{rephr}{body}</qapair>")
    folder = tmp_path / "stackfaq"
    folder.mkdir()
    (folder / "stackExchange-FAQ.xml").write_text(f"<root>{''.join(pairs)}</root>")
    return folder
