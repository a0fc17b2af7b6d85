"""Background work for initiatives. Every task here is safe to run twice."""

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from samen.messaging.outbox import send_email
from samen.people.models import Member

from .models import Update

SUBJECT_MAX_CHARS = 200


def update_mail_key(update_pk: int, member_pk: int) -> str:
    return f"update:{update_pk}:member:{member_pk}"


@task
def mail_update(update_id: int) -> int:
    """Queue the update for every follower who wants e-mail. Returns how many were queued.

    The idempotency key per (update, member) makes a second run, or a run after a crash half-way,
    send nothing twice; `mailed_at` then only saves the work of walking the followers again.
    """
    update = Update.objects.select_related("initiative").filter(pk=update_id).first()
    if update is None or update.mailed_at is not None or not update.initiative.is_public:
        return 0
    followers = (
        Member.objects.filter(follows__initiative=update.initiative, contact_by_email=True, is_active=True)
        .only("pk", "email", "name")
        .order_by("pk")
    )
    if update.author_id:
        # The author wrote it; mailing it back to them is noise.
        followers = followers.exclude(pk=update.author_id)
    url = settings.SITE_URL + update.get_absolute_url()
    initiative_url = settings.SITE_URL + update.initiative.get_absolute_url()
    context = {
        "update": update,
        "initiative": update.initiative,
        "url": url,
        "initiative_url": initiative_url,
    }
    queued = 0
    # Members choose no interface language yet, so mail goes out in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(initiative)s: %(title)s") % {
            "initiative": update.initiative.title,
            "title": update.title,
        }
        # Two titles of up to 140 characters would overflow the outbox's subject column.
        subject = Truncator(subject).chars(SUBJECT_MAX_CHARS)
        body = render_to_string("initiatives/email/update.txt", context)
        html_body = render_to_string("initiatives/email/update.html", context)
        for member in followers.iterator():
            send_email(
                member.email,
                subject,
                body,
                key=update_mail_key(update.pk, member.pk),
                member=member,
                html_body=html_body,
            )
            queued += 1
    # Conditional, so that of two runs finishing together only one stamps the time.
    Update.objects.filter(pk=update.pk, mailed_at__isnull=True).update(mailed_at=timezone.now())
    return queued
