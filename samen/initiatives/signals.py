"""Bump Initiative.page_version when rows that the initiative page shows change.

The page caches the parts that every viewer sees alike under Initiative.cache_version (see
views._shared_fragments). The initiative's own fields move updated_at; these receivers
cover the rest: its updates, its team, and the names of the members listed in either. Writes that
skip signals (QuerySet.update(), bulk_create(), raw SQL) on those rows must bump it themselves.
"""

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from .models import Initiative, TeamMember, Update

# Member fields that the page shows, through Member.display_name.
SHOWN_MEMBER_FIELDS = {"name", "email"}


def bump_page_version(initiatives) -> None:
    initiatives.update(page_version=Coalesce(F("page_version"), 0) + 1)


@receiver([post_save, post_delete], sender=Update, dispatch_uid="initiatives.update_changes_page")
@receiver([post_save, post_delete], sender=TeamMember, dispatch_uid="initiatives.team_changes_page")
def row_on_page_changed(sender, instance, **kwargs) -> None:
    bump_page_version(Initiative.objects.filter(pk=instance.initiative_id))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="initiatives.member_renamed")
def member_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    # A new member is on no page yet; a login only saves last_login.
    if created or (update_fields is not None and not SHOWN_MEMBER_FIELDS & set(update_fields)):
        return
    _bump_pages_showing(instance)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="initiatives.member_deleted")
def member_deleted(sender, instance, **kwargs) -> None:
    # Deleting a member sets Update.author to NULL with a plain UPDATE, which sends no signal.
    _bump_pages_showing(instance)


def _bump_pages_showing(member) -> None:
    bump_page_version(
        Initiative.objects.filter(
            pk__in=Initiative.objects.filter(Q(team__member=member) | Q(updates__author=member)).values("pk")
        )
    )
