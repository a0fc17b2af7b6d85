"""Sign-ups and log-ins carry the visitor's touches onto the member, for conversions weeks later."""

from __future__ import annotations

import logging

from django.db import transaction

from . import attribution, tracking

logger = logging.getLogger(__name__)


def on_signed_up(sender, request=None, user=None, **kwargs):
    if user is None:
        return
    try:
        # A savepoint: a database error here must not abort the sign-up's transaction.
        with transaction.atomic():
            carried = tracking.read_cookie(request) if request is not None else tracking.Carried()
            tracking.remember_for_member(user.pk, first=carried.first, last=carried.last)
    except Exception:
        logger.exception("could not store the touches of new member %s", user.pk)
    attribution.record_conversion(
        kind=attribution.SIGNUP,
        source="people.signup",
        source_ref=str(user.pk),
        request=request,
        member=user,
        occurred_at=getattr(user, "date_joined", None),
    )


def on_logged_in(sender, request=None, user=None, **kwargs):
    if request is None or user is None:
        return
    try:
        with transaction.atomic():  # a savepoint, as above: the log-in goes on whatever happens here
            carried = tracking.read_cookie(request)
            tracking.remember_for_member(user.pk, first=carried.first, last=carried.last)
    except Exception:
        logger.exception("could not store the touches of member %s", user.pk)
