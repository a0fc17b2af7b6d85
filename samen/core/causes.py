"""The causes that members care about and initiatives work on: one list, shared by all apps."""

from django.utils.translation import gettext_lazy as _

CAUSES = [
    ("education", _("Education")),
    ("health", _("Health")),
    ("water", _("Water and sanitation")),
    ("food", _("Food and farming")),
    ("environment", _("Environment and climate")),
    ("work", _("Work and income")),
    ("inclusion", _("Inclusion and disability")),
    ("human-rights", _("Human rights")),
    ("crisis", _("Crisis response")),
    ("community", _("Community and culture")),
]
CAUSE_LABELS = dict(CAUSES)


def cause_labels(codes):
    return [CAUSE_LABELS.get(code, code) for code in codes or []]
