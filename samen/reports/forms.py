"""Forms for report maps: the public web form, the reviewer's edit form, the queue's filters and bulk
actions, and the coordinator's settings, reviewers and categories."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import cast
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image

from samen.core import countries
from samen.core.access import is_key
from samen.core.images import ALLOWED_FORMATS, reencode_image
from samen.core.moments import sane_date
from samen.people.models import Member

from .actions import BULK_ACTIONS
from .models import Category, Report, ReportMap

IMAGE_ACCEPT = ",".join(sorted({f"image/{fmt.lower()}" for fmt in ALLOWED_FORMATS}))
# The languages a category can be named in, besides its own name (see Category.translations).
CATEGORY_LANGUAGES = [
    ("en", _("English")),
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("ht", _("Haitian Creole")),
]
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
SIX_PLACES = Decimal("0.000001")
# /maps/initiative/<initiative>/ lists an initiative's maps; a map with this slug would be hidden by it.
RESERVED_SLUGS = {"initiative", "inbox"}


# --- Categories as a tree -------------------------------------------------------------------------


def category_tree(categories) -> list[tuple[Category, int]]:
    """(category, depth) pairs in reading order: each parent followed by its children."""
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)
    ordered: list[tuple[Category, int]] = []

    def walk(parent_id, depth):
        for category in by_parent.get(parent_id, []):
            ordered.append((category, depth))
            # A parent that points into its own subtree cannot happen through these forms; the
            # depth cap keeps a hand-edited loop from hanging the page.
            if depth < 10:
                walk(category.pk, depth + 1)

    walk(None, 0)
    return ordered


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


# --- Coordinates ----------------------------------------------------------------------------------


def parse_coordinate(text: str, low: int, high: int, message) -> Decimal | None:
    """A typed coordinate: a dot or a decimal comma; out of range is refused with `message`."""
    text = (text or "").strip().replace("−", "-").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Type a number, for example -1.3133.")) from None
    if not value.is_finite() or not low <= value <= high:
        raise ValidationError(message)
    return value.quantize(SIX_PLACES)


class PlaceFieldsMixin:
    """Place name plus latitude and longitude typed as text, so that no JavaScript map is needed.

    Someone may paste both coordinates ("-1.3133, 36.7880") into the latitude box; that is split.
    """

    def clean_place(self, cleaned):
        latitude_text = (self.data.get(self.add_prefix("latitude")) or "").strip()
        longitude_text = (self.data.get(self.add_prefix("longitude")) or "").strip()
        pair = re.fullmatch(r"\s*(-?[\d.]+)\s*[,;\s]\s*(-?[\d.]+)\s*", latitude_text)
        if pair and not longitude_text:
            latitude_text, longitude_text = pair.groups()
        latitude = longitude = None
        try:
            latitude = parse_coordinate(latitude_text, -90, 90, _("Latitude must be between -90 and 90."))
        except ValidationError as error:
            self.add_error("latitude", error)
        try:
            longitude = parse_coordinate(
                longitude_text, -180, 180, _("Longitude must be between -180 and 180.")
            )
        except ValidationError as error:
            self.add_error("longitude", error)
        if "latitude" in self.errors or "longitude" in self.errors:
            return cleaned
        if (latitude is None) != (longitude is None):
            self.add_error(
                "longitude" if longitude is None else "latitude",
                _("Give both latitude and longitude, or leave both empty."),
            )
            return cleaned
        cleaned["latitude"], cleaned["longitude"] = latitude, longitude
        return cleaned


def coordinate_field(label):
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def event_time_field(required):
    return forms.DateTimeField(
        label=_("When did it happen?"),
        required=required,
        validators=[sane_date],
        help_text=_("Date and time. Leave empty if it is happening now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y"],
    )


def clean_event_time(value):
    if value and value > timezone.now() + timedelta(days=1):
        raise ValidationError(_("That time is in the future. When did it happen?"))
    return value


# --- The public web form --------------------------------------------------------------------------


class WebReportForm(PlaceFieldsMixin, forms.Form):
    title = forms.CharField(label=_("What happened? (a short title)"), max_length=200)
    description = forms.CharField(
        label=_("Tell us more"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    event_at = event_time_field(required=False)
    place_name = forms.CharField(
        label=_("Where? (a place name, street or landmark)"), required=False, max_length=200
    )
    latitude = coordinate_field(_("Latitude"))
    longitude = coordinate_field(_("Longitude"))
    location_precision = forms.ChoiceField(
        label=_("How exact is this place?"),
        choices=Report.Precision.choices,
        initial=Report.Precision.PLACE,
    )
    categories = CategoryChoiceField(
        label=_("Categories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=120)
    reporter_contact = forms.CharField(
        label=_("Your phone number or e-mail address (optional)"),
        required=False,
        max_length=255,
        help_text=_(
            "Only the people who review reports see your name and contact. They are never published."
        ),
    )
    photo = forms.FileField(
        label=_("A photo (optional)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF. Only reviewers see it."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    # A random id per form: pressing "Send" twice, or the browser resending, makes one report.
    submission = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args, report_map: ReportMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.report_map = report_map
        cast(forms.ModelMultipleChoiceField, self.fields["categories"]).queryset = report_map.categories.all()
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4().hex)

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give your report a short title."), code="required")
        return title

    def clean_event_at(self):
        return clean_event_time(self.cleaned_data.get("event_at"))

    def clean_submission(self):
        value = self.cleaned_data["submission"]
        if not re.fullmatch(r"[0-9a-f]{32}", value):
            raise ValidationError(_("The form was damaged in transit; please send it again."))
        return value

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        # reencode_image is the one judge of an acceptable image (size, type, pixels); the copy it
        # makes is not kept: the original is the evidence, private to reviewers.
        reencode_image(photo)
        photo.seek(0)
        with Image.open(photo) as image:
            # What the bytes are, not what the browser claimed: the file is served with this type.
            self.photo_type = f"image/{(image.format or 'png').lower()}"
        photo.seek(0)
        return photo

    def clean(self):
        cleaned = super().clean()
        return self.clean_place(cleaned)

    def category_choices(self):
        """The categories as a tree, with whether each is ticked, for the nested checkboxes."""
        ticked = {str(value) for value in (self["categories"].value() or [])}
        return [
            (category, depth, str(category.pk) in ticked)
            for category, depth in category_tree(
                cast(forms.ModelMultipleChoiceField, self.fields["categories"]).queryset
            )
        ]


# --- Review ---------------------------------------------------------------------------------------


class ReviewForm(PlaceFieldsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description (as it arrived)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Phone numbers and e-mail addresses are removed from the published text automatically, "
            "unless you corrected it by hand below."
        ),
    )
    event_at = event_time_field(required=True)
    place_name = forms.CharField(label=_("Place"), required=False, max_length=200)
    latitude = coordinate_field(_("Latitude"))
    longitude = coordinate_field(_("Longitude"))
    location_precision = forms.ChoiceField(label=_("Precision"), choices=Report.Precision.choices)
    categories = CategoryChoiceField(
        label=_("Categories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    verified = forms.BooleanField(label=_("Verified"), required=False)
    # What the public sees. Filled by the scrubber; what a reviewer changes here is kept as written.
    public_title = forms.CharField(
        label=_("Published title"),
        required=False,
        max_length=200,
        help_text=_("Leave it empty to have it made from the title again."),
    )
    public_description = forms.CharField(
        label=_("Published description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    public_place_name = forms.CharField(label=_("Published place"), required=False, max_length=200)
    rederive = forms.BooleanField(
        label=_("Make the published title, description and place from the originals again"),
        required=False,
        help_text=_("Drops your corrections to them; phone numbers and e-mail addresses are removed again."),
    )
    # What the page showed in the public fields, so that only a field the reviewer changed counts as a
    # correction (the originals may change in the same save).
    shown_public_title = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    shown_public_description = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20000)
    shown_public_place_name = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, report_map: ReportMap, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["categories"]).queryset = report_map.categories.all()

    @classmethod
    def initial_for(cls, report: Report) -> dict:
        return {
            "public_title": report.public_title,
            "public_description": report.public_description,
            "public_place_name": report.public_place_name,
            "shown_public_title": report.public_title,
            "shown_public_description": report.public_description,
            "shown_public_place_name": report.public_place_name,
            "title": report.title,
            "description": report.description,
            "event_at": timezone.localtime(report.event_at).strftime("%Y-%m-%dT%H:%M"),
            "place_name": report.place_name,
            "latitude": "" if report.latitude is None else str(report.latitude),
            "longitude": "" if report.longitude is None else str(report.longitude),
            "location_precision": report.location_precision,
            "categories": [category.pk for category in report.categories.all()],
            "verified": report.verified,
        }

    def clean_event_at(self):
        return clean_event_time(self.cleaned_data.get("event_at"))

    def clean(self):
        cleaned = super().clean()
        return self.clean_place(cleaned)

    def category_choices(self):
        ticked = {str(value) for value in (self["categories"].value() or [])}
        categories = cast(forms.ModelMultipleChoiceField, self.fields["categories"]).queryset
        return [
            (category, depth, str(category.pk) in ticked) for category, depth in category_tree(categories)
        ]


class QueueFilterForm(forms.Form):
    """The queue's filters. Invalid values are reported and that filter left out."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Waiting: received or in review")), ("all", _("All"))],
    )
    source = forms.ChoiceField(label=_("Source"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    unlocated = forms.BooleanField(label=_("Only reports without coordinates"), required=False)
    duplicates = forms.BooleanField(label=_("Only possible duplicates"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [*self.fields["status"].choices, *Report.Status.choices]
        self.fields["source"].choices = [("", _("All sources")), *Report.Source.choices]
        self.fields["category"].choices = [
            ("", _("All categories")),
            *[(category.pk, "— " * depth + category.name) for category, depth in category_tree(categories)],
        ]


class IdListField(forms.Field):
    """The ticked report numbers. Only their shape is checked here; actions.bulk_apply keeps to one map."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for item in value or []:
            try:
                ids.append(int(item))
            except (TypeError, ValueError):
                raise ValidationError(_("Tick reports from the list.")) from None
            if not is_key(ids[-1]):  # no report has such a number, and the database would refuse it
                raise ValidationError(_("Tick reports from the list."))
        return ids


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        label=_("With the selected reports"),
        choices=[
            ("", _("Choose an action")),
            ("publish", _("Publish")),
            ("archive", _("Archive")),
            ("review", _("Put back in review")),
            ("verify", _("Mark verified")),
            ("unverify", _("Mark not verified")),
            ("categorise", _("Add the category")),
        ],
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    reports = IdListField()

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("No category")),
            *[(category.pk, "— " * depth + category.name) for category, depth in category_tree(categories)],
        ]
        self.fields["reports"].error_messages["required"] = _("Tick at least one report.")

    def clean_action(self):
        action = self.cleaned_data["action"]
        if action not in BULK_ACTIONS:
            raise ValidationError(_("Choose an action."))
        return action

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "categorise" and not cleaned.get("category"):
            self.add_error("category", _("Choose the category to add."))
        return cleaned


# --- Map management -------------------------------------------------------------------------------


class ReportMapForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("Channels that are on"),
        choices=ReportMap.Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        help_text=_(
            "Phone numbers written without a country code are read as numbers of this country, so that "
            "they are removed from published reports. Left empty, it is worked out from the SMS number or "
            "the map's centre."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Work it out for me")), *countries.choices()]

    def save(self, commit=True):
        report_map = super().save(commit=False)
        if not report_map.country:
            report_map.country = report_map.default_country()
        if commit:
            report_map.save()
            self.save_m2m()
        return report_map

    class Meta:
        model = ReportMap
        fields = [
            "title",
            "description",
            "visibility",
            "channels",
            "default_latitude",
            "default_longitude",
            "default_zoom",
            "area_radius_km",
            "time_zone",
            "sms_keyword",
            "sms_number",
            "country",
            "email_address",
            "auto_reply",
            "duplicate_window_minutes",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "default_zoom": _("From 1 (the world) to 18 (a street)."),
            "auto_reply": _(
                "Sent back through the same channel when a report arrives. Keep it short for SMS. "
                "{number} becomes the report's number."
            ),
        }

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give the map a title."), code="required")
        return title

    def clean_default_zoom(self):
        zoom = self.cleaned_data["default_zoom"]
        if not 1 <= zoom <= 18:
            raise ValidationError(_("The zoom goes from 1 (the world) to 18 (a street)."))
        return zoom

    def clean_time_zone(self):
        typed = self.cleaned_data["time_zone"].strip()
        if not typed:
            return ""
        canonical = {name.lower(): name for name in available_timezones()}.get(
            typed.lower().replace(" ", "_")
        )
        if canonical is None:
            raise ValidationError(
                _("“%(zone)s” is not a time zone such as Africa/Nairobi.") % {"zone": typed[:64]}
            )
        return canonical

    def clean_sms_keyword(self):
        keyword = self.cleaned_data["sms_keyword"].strip().upper()
        if keyword and not re.fullmatch(r"[A-Z0-9]{2,20}", keyword):
            raise ValidationError(_("One word of letters and digits, for example MAJI."))
        return keyword

    def clean_sms_number(self):
        number = re.sub(r"[\s().-]", "", self.cleaned_data["sms_number"])
        if number and not re.fullmatch(r"\+?\d{3,15}", number):
            raise ValidationError(_("A phone number in international form, for example +254700000001."))
        return number

    def clean_email_address(self):
        address = self.cleaned_data["email_address"].strip().lower()
        if (
            address
            and ReportMap.objects.filter(email_address__iexact=address).exclude(pk=self.instance.pk).exists()
        ):
            raise ValidationError(_("Another map already receives reports at this address."))
        return address

    def clean(self):
        cleaned = super().clean()
        keyword, number = cleaned.get("sms_keyword"), cleaned.get("sms_number")
        if keyword:
            # Inbound SMS find their map by keyword (on a shared number) or by number: each pair once.
            clash = ReportMap.objects.filter(sms_keyword__iexact=keyword, sms_number=number or "").exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                self.add_error("sms_keyword", _("Another map already uses this keyword on this number."))
        return cleaned


class NewReportMapForm(ReportMapForm):
    slug = forms.SlugField(
        label=_("Web address"),
        required=False,
        max_length=80,
        help_text=_("The end of the map's address. Leave empty to make one from the title."),
    )

    class Meta(ReportMapForm.Meta):
        fields = ["title", "slug", "description", "visibility", "channels"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        slug = cleaned.get("slug") or slugify(cleaned.get("title", ""))[:70] or "map"
        base, n = slug, 2
        if cleaned.get("slug") and (slug in RESERVED_SLUGS or ReportMap.objects.filter(slug=slug).exists()):
            self.add_error("slug", _("This web address is taken. Choose another."))
            return cleaned
        while slug in RESERVED_SLUGS or ReportMap.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        cleaned["slug"] = slug
        self.instance.slug = slug
        return cleaned


class ReviewerForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of a Samen member"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        member = Member.objects.filter(email__iexact=email, is_active=True).first()
        if member is None:
            raise ValidationError(_("No member has this e-mail address. Ask them to sign up first."))
        self.member = member
        return email


class CategoryForm(forms.ModelForm):
    name_en = forms.CharField(label=_("Name in English"), required=False, max_length=120)
    name_nl = forms.CharField(label=_("Name in Dutch"), required=False, max_length=120)
    name_fr = forms.CharField(label=_("Name in French"), required=False, max_length=120)
    name_ht = forms.CharField(label=_("Name in Haitian Creole"), required=False, max_length=120)

    class Meta:
        model = Category
        fields = ["title", "parent", "colour", "position"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}
        help_texts = {
            "title": _("Shown in every language that has no name of its own below."),
            "position": _("Lower numbers come first."),
        }

    def __init__(self, *args, report_map: ReportMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.report_map = report_map
        self.instance.report_map = report_map
        parents = report_map.categories.all()
        if self.instance.pk:
            # A category cannot sit under itself or under one of its own subcategories.
            below = self._subtree_ids(self.instance, list(parents))
            parents = parents.exclude(pk__in=below)
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        parent.queryset = parents
        parent.empty_label = _("None: a top-level category")
        # The tree page shows names as typed; the page language's name would hide which one it is.
        parent.label_from_instance = lambda category: category.title  # type: ignore[method-assign,assignment]
        for code, _label in CATEGORY_LANGUAGES:
            self.fields[f"name_{code}"].initial = (self.instance.translations or {}).get(code, "")

    @staticmethod
    def _subtree_ids(root: Category, categories: list[Category]) -> set[int]:
        ids, grew = {root.pk}, True
        while grew:
            more = {category.pk for category in categories if category.parent_id in ids} - ids
            grew = bool(more)
            ids |= more
        return ids

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give the category a name."), code="required")
        return title

    def clean_colour(self):
        colour = self.cleaned_data["colour"].strip()
        if not COLOUR.match(colour):
            raise ValidationError(_("A colour like #0b6b3a."))
        return colour.lower()

    def clean(self):
        cleaned = super().clean()
        title, parent = cleaned.get("title"), cleaned.get("parent")
        if title:
            # The database's unique constraint lets two top-level categories share a name (NULL parents
            # never compare equal), so the form checks it for every level.
            siblings = Category.objects.filter(report_map=self.report_map, parent=parent, title__iexact=title)
            if siblings.exclude(pk=self.instance.pk).exists():
                self.add_error("title", _("There is already a category with this name here."))
        return cleaned

    def validate_unique(self):
        # Checked in clean() with the map set; the model's own check would run without it.
        pass

    def save(self, commit=True):
        self.instance.translations = {
            code: self.cleaned_data[f"name_{code}"].strip()
            for code, _label in CATEGORY_LANGUAGES
            if self.cleaned_data.get(f"name_{code}", "").strip()
        }
        return super().save(commit)
