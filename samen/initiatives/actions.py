"""Writes with more than one side effect, each as one named function that views and the API call."""

from django.db import transaction

from .models import Initiative, TeamMember, Update


def start_initiative(creator, **fields) -> Initiative:
    """Create an initiative with `creator` as its first owner: both rows or neither."""
    with transaction.atomic():
        initiative = Initiative(created_by=creator, **fields)
        initiative.slug = initiative.slug or Initiative.unique_slug(initiative.title)
        initiative.save()
        TeamMember.objects.create(initiative=initiative, member=creator, role=TeamMember.Role.OWNER)
    return initiative


def post_update(initiative: Initiative, author, *, title: str, body: str) -> Update:
    """Publish a transparency post and, once it is committed, have it e-mailed to followers."""
    from .tasks import mail_update

    with transaction.atomic():
        update = Update.objects.create(initiative=initiative, author=author, title=title, body=body)
        if initiative.is_public:
            # After commit, so the worker never looks for a row it cannot see yet.
            # Drafts have no public to tell; their updates stay on the page only.
            transaction.on_commit(lambda: mail_update.enqueue(update.pk))
    return update
