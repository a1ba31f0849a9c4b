"""The answer task."""

from __future__ import annotations

from celery import shared_task

from faqbot.contracts import ANSWER, AnswerRequest
from workers.answering.answer_job import answer_request, fail_request
from workers.tasks.policy import run_reliably
from workers.tasks.reply_to import sink_for
from workers.worker_process import process_settings


# Late ack + requeue when the worker process dies: the task is idempotent by request id (the
# interaction row says whether it still has to run, deliver, or nothing), so running it again
# after a crash is how a crash loses no question.
@shared_task(bind=True, name=ANSWER, acks_late=True, reject_on_worker_lost=True, pydantic=True)
def answer_task(self, payload: AnswerRequest) -> dict:
    """Returns a `Delivery` (or `GaveUp`) as JSON; the answer itself goes to the reply sink."""
    request, settings = payload, process_settings()
    sink = sink_for(request.reply, settings, request_id=request.request_id)
    return run_reliably(
        self,
        settings,
        work=lambda: answer_request(request, settings=settings, sink=sink),
        give_up=lambda reason: fail_request(request, reason, settings=settings, sink=sink),
    )
