"""Background work for plans. Every task here is safe to run twice."""

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from . import actions, mail
from .models import Question


@task
def remind_overdue() -> int:
    """Remind the owners of overdue reactions (each once per due date). Run it from cron:
    `manage.py plans_remind` enqueues it, or runs it at once with --now."""
    return actions.remind_overdue()


@task
def mail_question(question_id: int) -> int:
    """E-mail a question to the initiative's followers and team; the key per member sends once."""
    question = Question.objects.select_related("initiative").filter(pk=question_id).first()
    if question is None or question.mailed_at is not None or not question.initiative.is_public:
        return 0
    queued = 0
    for member in actions.question_recipients(question).iterator():
        mail.send_question(question, member)
        queued += 1
    with transaction.atomic():
        Question.objects.filter(pk=question.pk, mailed_at__isnull=True).update(mailed_at=timezone.now())
    return queued
