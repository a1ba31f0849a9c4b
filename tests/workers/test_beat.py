"""`faqbot beat` runs the housekeeping schedule; the sweep fails questions no worker will finish."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from faqbot.contracts import AnswerRequest
from faqbot.db import interactions
from faqbot.db.engine import session_scope
from faqbot.db.migrate import upgrade


def test_the_sweep_marks_lost_questions_failed(settings):
    import workers.tasks  # noqa: F401 - registers the tasks
    from faqbot.contracts import SWEEP
    from faqbot.queue import celery_app

    upgrade(settings)
    lost = AnswerRequest(question="asked before a Redis flush")
    with session_scope(settings) as session:
        interactions.claim(session, lost)
    with session_scope(settings) as session:
        interactions.find(session, lost.request_id).created_at -= dt.timedelta(days=2)
    result = celery_app(settings).tasks[SWEEP].apply().get()
    assert (result["failed_stale"], result["resent"]) == (1, 0)
    with session_scope(settings) as session:
        assert interactions.find(session, lost.request_id).status == "failed"


def test_beat_starts_with_the_sweep_scheduled_and_stops_cleanly(settings, tmp_path, redis_url):
    env = {**os.environ, "FAQBOT_REDIS_URL": redis_url}
    log = tmp_path / "beat.log"
    with log.open("w") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "faqbot", "beat", "--loglevel=debug"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "sweep-questions" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    beat.send_signal(signal.SIGTERM)
    assert beat.wait(30) == 0, log.read_text()
    assert "sweep-questions" in log.read_text()
    assert (settings.data_dir / "beat-schedule").exists() or any(
        settings.data_dir.glob("beat-schedule*")
    )


def test_beat_schedules_the_retrain_from_the_setting(settings):
    from workers.app import worker_app

    schedule = worker_app(settings).conf.beat_schedule
    retrain = schedule["retrain"]["schedule"]
    assert schedule["retrain"]["task"] == "faqbot.retrain"
    assert (retrain.hour, retrain.minute, retrain.day_of_week) == ({3}, {0}, {1})
    never = worker_app(settings.model_copy(update={"retrain_schedule": ""}))
    assert "retrain" not in never.conf.beat_schedule


def test_beat_schedules_the_weekly_report_from_the_setting(settings):
    from workers.app import worker_app

    schedule = worker_app(settings).conf.beat_schedule
    report = schedule["weekly-report"]
    assert report["task"] == "faqbot.weekly_report"
    assert (report["schedule"].hour, report["schedule"].day_of_week) == ({8}, {1})
    never = worker_app(settings.model_copy(update={"report_schedule": ""}))
    assert "weekly-report" not in never.conf.beat_schedule
