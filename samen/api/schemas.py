"""What goes over the wire. Output schemas read model instances; input schemas only check shape.

Meaning (known causes, coordinates in range, who may change the status) is checked by the
model and the write operations, and comes back as a 400 with a message.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop
from ninja import Field, Schema

from samen.core.causes import CAUSES
from samen.initiatives.models import Initiative, TeamMember

CAUSE_CODES = [code for code, _label in CAUSES]
# A list of cause codes, for json_schema_extra.
CAUSE_ITEMS: dict[str, Any] = {"items": {"type": "string", "enum": CAUSE_CODES}}
VIEWER_ROLES = ["anonymous", "outsider", "member", "team", "owner"]


def choice(values: Iterable[Any], default: Any = ..., **kwargs) -> Any:
    """A field whose values are one of `values`: an `enum` in the OpenAPI document.

    The operations check the value themselves and answer 400 with a sentence, as for every other
    meaning; the enum tells clients (and schemathesis) what to send and what they get.
    """
    return Field(default, json_schema_extra={"enum": list(values)}, **kwargs)


class PlaceOut(Schema):
    name: str
    latitude: float | None
    longitude: float | None


def place_of(obj) -> dict:
    return {"name": obj.place_name, "latitude": obj.latitude, "longitude": obj.longitude}


def absolute(context, path: str) -> str:
    return context["request"].build_absolute_uri(path)


class OnInitiativeOut(Schema):
    """For things that belong to an initiative and have their own page: the slug and the page's URL."""

    initiative: str = Field(description="The initiative's slug.")
    url: str

    @staticmethod
    def resolve_initiative(obj):
        return obj.initiative.slug

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class InitiativeSummaryOut(Schema):
    slug: str
    title: str
    summary: str
    causes: list[str] = Field(json_schema_extra=CAUSE_ITEMS)
    status: str = choice(Initiative.Status.values)
    place: PlaceOut
    image: str | None = Field(description="Absolute URL of the image, if there is one.")
    follower_count: int
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="The initiative's page on the web.")

    @staticmethod
    def resolve_place(obj):
        return place_of(obj)

    @staticmethod
    def resolve_image(obj, context):
        return absolute(context, obj.image.url) if obj.image else None

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class InitiativeOut(InitiativeSummaryOut):
    story: str = Field(description="The story as Markdown, as its authors wrote it.")
    story_html: str = Field(description="The story rendered to HTML and sanitised: safe to show as is.")
    viewer_role: str = choice(
        VIEWER_ROLES, description="How the caller relates to it: anonymous, outsider, member, team or owner."
    )

    @staticmethod
    def resolve_story_html(obj):
        return str(obj.story_html)

    @staticmethod
    def resolve_viewer_role(obj):
        # Set by the operation from the access helper's answer; never computed twice.
        return obj.viewer_role.name.lower()


class PlaceIn(Schema):
    name: str = ""
    # Python's JSON parser accepts NaN and Infinity; no place lies there.
    latitude: float | None = Field(None, allow_inf_nan=False)
    longitude: float | None = Field(None, allow_inf_nan=False)


# Descriptions of input fields are marked with gettext_noop: English in openapi.json, and in the
# reader's language on /api/docs (see docs.py).
class InitiativeCreateIn(Schema):
    title: str
    summary: str
    story: str = Field("", description=gettext_noop("Markdown."))
    causes: list[str] = Field(
        default_factory=list,
        description=gettext_noop("Codes from the list of causes."),
        json_schema_extra=CAUSE_ITEMS,
    )
    place: PlaceIn | None = None
    status: str = choice(["draft", "open"], "draft", description=gettext_noop("draft (the default) or open."))


class InitiativePatchIn(Schema):
    """Send only what changes. Changing the status is for owners."""

    title: str | None = None
    summary: str | None = None
    story: str | None = None
    causes: list[str] | None = Field(None, json_schema_extra=CAUSE_ITEMS)
    place: PlaceIn | None = None
    status: str | None = choice([*Initiative.Status.values, None], None)


class UpdateOut(Schema):
    id: int
    title: str
    body: str = Field(description="Markdown.")
    body_html: str = Field(description="The body rendered to HTML and sanitised.")
    created_at: datetime
    url: str

    @staticmethod
    def resolve_body_html(obj):
        return str(obj.body_html)

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class UpdateIn(Schema):
    title: str
    body: str = Field(description=gettext_noop("Markdown."))


class TeamRoleOut(Schema):
    slug: str
    title: str
    role: str = choice(TeamMember.Role.values)


class MeOut(Schema):
    id: int
    email: str
    name: str
    display_name: str
    bio: str
    skills: list[str]
    causes: list[str]
    languages: list[str]
    place: PlaceOut
    time_zone: str
    availability_hours: int
    teams: list[TeamRoleOut]

    @staticmethod
    def resolve_place(obj):
        return place_of(obj)

    @staticmethod
    def resolve_teams(obj):
        return [
            {"slug": row.initiative.slug, "title": row.initiative.title, "role": row.role}
            for row in obj.team_roles.select_related("initiative").order_by("initiative__title")
        ]
