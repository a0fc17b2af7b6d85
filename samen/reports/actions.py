"""Named actions on reports. Each writes its audit line; views, gateways, the API and imports call these.

Review actions take the reviewer (`actor`), change one report, and write one ReportChange with what
changed as {field: [old, new]}; an action that changes nothing writes nothing. Status changes follow
ALLOWED_TRANSITIONS. Publishing announces itself through signals.report_published, after commit.
"""

import math
import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samen.core.scrub import scrub_contacts

from .models import PUBLIC_FIELDS, Category, Report, ReportChange, ReportMap
from .signals import report_published

Status = Report.Status

# received → in review → published / archived. A published report can go back to review (to correct
# it) or be archived; an archived one comes back through review, never straight onto the map.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.IN_REVIEW, Status.PUBLISHED, Status.ARCHIVED},
    Status.IN_REVIEW: {Status.PUBLISHED, Status.ARCHIVED},
    Status.PUBLISHED: {Status.IN_REVIEW, Status.ARCHIVED},
    Status.ARCHIVED: {Status.IN_REVIEW},
}

# How long opening a report for editing keeps other reviewers from saving over it.
LOCK_MINUTES = 10

# Near-duplicates: nearly the same words, close in place and time, on the same map.
NEAR_DUPLICATE_RATIO = 0.8
NEAR_DUPLICATE_METRES = 1000
NEAR_DUPLICATE_HOURS = 24
# Bounds the work per arriving report, however busy the map is: this many candidates are compared
# cheaply (place, words, lengths), and the closest in time of those that pass, at most this many,
# character by character.
NEAR_DUPLICATE_CANDIDATES = 200
NEAR_DUPLICATE_CHARACTER_COMPARISONS = 25


def log_change(report: Report, action: str, actor=None, changes: dict | None = None) -> ReportChange:
    return ReportChange.objects.create(report=report, actor=actor, action=action, changes=changes or {})


def create_report(
    report_map: ReportMap,
    *,
    source: str,
    title: str,
    description: str = "",
    reporter_contact: str = "",
    reporter_name: str = "",
    external_id: str = "",
    actor=None,
    categories=(),
    **fields,
) -> tuple[Report, bool]:
    """Store a new report unless it is a repeat. Returns (report, created).

    A repeat is the same external id (a gateway's message id, a CSV row's id) on the same map and
    source, or the same text from the same sender within the map's duplicate window. Phones and
    gateways retry; a retry storm must leave exactly one report.
    """
    fingerprint = (
        Report.make_fingerprint(reporter_contact, f"{title}\n{description}") if reporter_contact else ""
    )
    if external_id:
        existing = Report.objects.filter(
            report_map=report_map, source=source, external_id=external_id
        ).first()
        if existing:
            return existing, False
    if fingerprint:
        since = timezone.now() - timedelta(minutes=report_map.duplicate_window_minutes)
        existing = (
            Report.objects.filter(report_map=report_map, fingerprint=fingerprint, created_at__gte=since)
            .order_by("created_at")
            .first()
        )
        if existing:
            return existing, False
    report = Report(
        report_map=report_map,
        source=source,
        title=title[:200],
        description=description,
        reporter_contact=reporter_contact,
        reporter_name=reporter_name,
        external_id=external_id,
        fingerprint=fingerprint,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **fields,
    )
    categories = list(categories)
    if categories:
        report.primary_category = categories[0]
    try:
        with transaction.atomic():
            report.save()
            if categories:
                report.categories.set(categories)
            log_change(report, "created", actor if report.created_by else None, {"source": [None, source]})
    except IntegrityError:
        # Two deliveries of the same message raced past the look-up above; the other one won.
        existing = Report.objects.filter(
            report_map=report_map, source=source, external_id=external_id
        ).first()
        if existing is None:
            raise
        return existing, False
    flag_near_duplicate(report)
    return report, True


# --- Near-duplicates ------------------------------------------------------------------------------

# Texts shorter than this ("help", "water") say too little to call two reports the same.
_MIN_TEXT = 12
_NOT_WORD = re.compile(r"[^\w\s]")
# What a candidate needs from the database: no model instances, which cost more than the comparing.
_CANDIDATE_COLUMNS = (
    "id",
    "title",
    "description",
    "place_name",
    "latitude",
    "longitude",
    "near_duplicate_of_id",
)


def _normalise(title: str, description: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", f"{title}\n{description}".lower()).split())


def _words(report: Report) -> str:
    return _normalise(report.title, report.description)


def _metres_between(lat1, lon1, lat2, lon2) -> float:
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (lat1, lon1, lat2, lon2))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def _close_in_place(one: Report, lat, lng, place_name: str) -> bool:
    if one.has_coordinates and lat is not None and lng is not None:
        return _metres_between(one.latitude, one.longitude, lat, lng) <= NEAR_DUPLICATE_METRES
    if one.place_name.strip() and place_name.strip():
        return one.place_name.strip().casefold() == place_name.strip().casefold()
    # An SMS often has no place at all: then nearly the same words at nearly the same time suffice.
    return True


class _Text:
    """One normalised text, prepared once for comparing with many others."""

    def __init__(self, text: str):
        self.text = text
        self.words = set(text.split())
        # Bit masks of where each character occurs, for the bit-parallel LCS below.
        masks: dict[str, int] = {}
        for i, char in enumerate(text):
            masks[char] = masks.get(char, 0) | (1 << i)
        self.masks = masks
        self.full = (1 << len(text)) - 1

    def jaccard(self, words: set[str]) -> float:
        union = self.words | words
        return len(self.words & words) / len(union) if union else 0.0

    def lcs_ratio(self, other: str) -> float:
        """2·LCS / (total length): how much of both texts is one common subsequence of characters.

        The bit-parallel LCS of Allison and Dix (as refined by Hyyrö): one pass over `other` with a
        few integer operations per character, so an SMS costs microseconds where difflib's
        SequenceMatcher (which approximates the same measure from below) costs a millisecond.
        """
        total = len(self.text) + len(other)
        if not total:
            return 0.0
        masks, full, v = self.masks, self.full, self.full
        for char in other:
            u = v & masks.get(char, 0)
            v = ((v + u) | (v - u)) & full
        lcs = len(self.text) - v.bit_count()
        return 2 * lcs / total


def similarity(one: str, other: str) -> float:
    """The larger of the words' Jaccard index (word order does not matter) and the characters'
    LCS ratio (it does, and typos cost little)."""
    return _similarity(_Text(one), other, NEAR_DUPLICATE_RATIO)


def _similarity(prepared: _Text, other: str, needed: float, *, characters: bool = True) -> float:
    """`similarity`, or any value below `needed` as soon as it is clear it cannot reach it.

    With `characters=False` only the cheap word comparison is made.
    """
    jaccard = prepared.jaccard(set(other.split()))
    if jaccard >= needed or not characters:
        return jaccard
    # Cheap bound first: a common subsequence is at most as long as the shorter text.
    shorter, longer = sorted((len(prepared.text), len(other)))
    if not longer or 2 * shorter / (shorter + longer) < needed:
        return jaccard
    return max(jaccard, prepared.lcs_ratio(other))


def _candidates(report: Report):
    """Earlier reports on the same map, close in time (and in place, for a located report).

    One indexed query, bounded however big the map is: the window on `event_at` is a range on
    the (report_map, status, event_at) index. Every status is a candidate, so the status filter
    excludes nothing; it is there so that the index can serve the range (a column skipped in an
    index leaves only its prefix usable). A located report also takes a box around its point
    (unlocated reports stay candidates: an SMS rarely says where it is).
    """
    window = timedelta(hours=NEAR_DUPLICATE_HOURS)
    candidates = Report.objects.filter(
        report_map_id=report.report_map_id,
        status__in=Report.Status.values,
        event_at__range=(report.event_at - window, report.event_at + window),
        merged_into__isnull=True,
    ).exclude(pk=report.pk)
    if report.latitude is not None and report.longitude is not None:
        lat, lng = float(report.latitude), float(report.longitude)
        dlat = NEAR_DUPLICATE_METRES / 111_320
        dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
        box = Q(
            latitude__range=(Decimal(str(round(lat - dlat, 6))), Decimal(str(round(lat + dlat, 6)))),
            longitude__range=(Decimal(str(round(lng - dlng, 6))), Decimal(str(round(lng + dlng, 6)))),
        )
        candidates = candidates.filter(box | Q(latitude__isnull=True))
    return candidates.order_by("-event_at").values_list(*_CANDIDATE_COLUMNS)[:NEAR_DUPLICATE_CANDIDATES]


def find_near_duplicate(report: Report) -> tuple[int, int | None] | None:
    """The earlier report on the same map this one nearly repeats, as (id, its near_duplicate_of_id).

    Candidates are bounded in SQL (see `_candidates`) and capped, and each is compared cheaply
    first (place, word sets, lengths), so the cost per arriving report stays flat however many
    reports the map holds.
    """
    text = _words(report)
    if len(text) < _MIN_TEXT:
        return None
    prepared = _Text(text)
    best, best_score = None, 0.0
    character_comparisons = NEAR_DUPLICATE_CHARACTER_COMPARISONS
    for pk, title, description, place_name, lat, lng, duplicate_of in _candidates(report):
        if not _close_in_place(report, lat, lng, place_name):
            continue
        # Only a better score than the best so far matters, so a hopeless candidate stops early.
        needed = max(NEAR_DUPLICATE_RATIO, best_score + 1e-9)
        score = _similarity(
            prepared, _normalise(title, description), needed, characters=character_comparisons > 0
        )
        character_comparisons -= 1
        if score >= needed:
            best, best_score = (pk, duplicate_of), score
    return best


def flag_near_duplicate(report: Report) -> Report | None:
    """Point a new report at the one it nearly repeats, for a reviewer to merge or dismiss."""
    found = find_near_duplicate(report)
    if found is None:
        return None
    # Flag against the first of the group, so that three copies point at one report, not in a chain.
    found_id, found_duplicate_of = found
    original_id = found_duplicate_of or found_id
    Report.objects.filter(pk=report.pk).update(near_duplicate_of_id=original_id)
    report.near_duplicate_of_id = original_id
    log_change(report, "flagged_near_duplicate", None, {"near_duplicate_of": [None, str(original_id)]})
    return report


# --- The edit lock --------------------------------------------------------------------------------


class ReportLocked(Exception):
    """Another reviewer holds the edit lock on this report."""

    def __init__(self, report: Report, holder, until):
        self.report, self.holder, self.until = report, holder, until
        super().__init__(f"report {report.pk} is locked until {until}")


def _free_for(actor) -> Q:
    return Q(locked_by__isnull=True) | Q(locked_until__lte=timezone.now()) | Q(locked_by=actor)


def acquire_lock(report: Report, actor, minutes: int = LOCK_MINUTES) -> bool:
    """Take (or renew) the edit lock. One conditional UPDATE, so two reviewers cannot both get it."""
    until = timezone.now() + timedelta(minutes=minutes)
    taken = Report.objects.filter(_free_for(actor), pk=report.pk).update(locked_by=actor, locked_until=until)
    if taken:
        report.locked_by, report.locked_until = actor, until
    else:
        fresh = Report.objects.select_related("locked_by").only("locked_by", "locked_until").get(pk=report.pk)
        report.locked_by, report.locked_until = fresh.locked_by, fresh.locked_until
    return bool(taken)


def release_lock(report: Report, actor) -> None:
    """Give the lock back; only its holder can, and an expired lock needs no giving back."""
    Report.objects.filter(pk=report.pk, locked_by=actor).update(locked_by=None, locked_until=None)
    if report.locked_by_id == getattr(actor, "pk", None):
        report.locked_by, report.locked_until = None, None


def _claim(report: Report, actor) -> None:
    """Inside a transaction: lock the row, refresh what actions compare against, and refuse when another
    reviewer is editing it. Every review action goes through here, so none saves over an open editor."""
    row = (
        Report.objects.select_for_update()
        .filter(pk=report.pk)
        .values(
            "status", "verified", "locked_by_id", "locked_until", "merged_into_id", "near_duplicate_of_id"
        )
        .get()
    )
    holder_id, until = row["locked_by_id"], row["locked_until"]
    if holder_id is not None and holder_id != getattr(actor, "pk", None) and until and until > timezone.now():
        raise ReportLocked(report, get_user_model().objects.filter(pk=holder_id).first(), until)
    for field in ("status", "verified", "merged_into_id", "near_duplicate_of_id"):
        setattr(report, field, row[field])


# --- Review actions -------------------------------------------------------------------------------


def _as_text(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _apply(report: Report, actor, action: str, values: dict) -> ReportChange | None:
    changes = {}
    for field, new in values.items():
        old = getattr(report, field)
        if old != new:
            changes[field] = [_as_text(old), _as_text(new)]
            setattr(report, field, new)
    if not changes:
        return None
    report.save(update_fields=[*changes, "updated_at"])
    return log_change(report, action, actor, changes)


def edit_report(report: Report, actor, *, title: str, description: str, event_at) -> ReportChange | None:
    """Correct the words and the time. The public text is scrubbed again on save (Report.prepare)."""
    title = " ".join(title.split())
    if not title:
        raise ValidationError(_("A report needs a title."))
    with transaction.atomic():
        _claim(report, actor)
        return _apply(
            report, actor, "edited", {"title": title[:200], "description": description, "event_at": event_at}
        )


def correct_public_text(
    report: Report, actor, *, shown: dict[str, str], submitted: dict[str, str], rederive: bool = False
) -> ReportChange | None:
    """A reviewer's hand on what the public sees: the public title, text and place.

    `shown` is what the edit page showed for each public field, `submitted` what came back. A field the
    reviewer changed becomes a hand correction: it is kept as written (Report.prepare leaves it alone,
    whatever later happens to the original) until `rederive` gives all three back to the scrubber. An
    emptied public title also goes back to the scrubber: the public always sees a title.
    """
    with transaction.atomic():
        _claim(report, actor)
        values: dict = {}
        region = report.phone_region()
        for source, public, by_hand in PUBLIC_FIELDS:
            new = (submitted.get(public) or "").strip()
            if public == "public_title":
                new = " ".join(new.split())[:200]
            elif public == "public_place_name":
                new = new[:200]
            changed = public in submitted and new != (shown.get(public) or "").strip()
            if rederive or (public == "public_title" and changed and not new):
                values[by_hand] = False
                values[public] = scrub_contacts(getattr(report, source), region=region)
            elif changed:
                values[by_hand] = True
                values[public] = new
        return _apply(report, actor, "corrected", values)


def geolocate_report(
    report: Report, actor, *, place_name: str, latitude, longitude, precision: str | None = None
) -> ReportChange | None:
    """Set where it happened. The H3 cells follow on save, so the map shows it at once."""
    if (latitude is None) != (longitude is None):
        raise ValidationError(_("Give both latitude and longitude, or neither."))
    if latitude is not None and not -90 <= latitude <= 90:
        raise ValidationError(_("Latitude must be between -90 and 90."))
    if longitude is not None and not -180 <= longitude <= 180:
        raise ValidationError(_("Longitude must be between -180 and 180."))
    values = {"place_name": place_name.strip()[:200], "latitude": latitude, "longitude": longitude}
    if precision:
        values["location_precision"] = precision
    with transaction.atomic():
        _claim(report, actor)
        return _apply(report, actor, "geolocated", values)


def _category_names(categories: Iterable[Category]) -> str:
    return ", ".join(sorted(category.title for category in categories))


def categorise_report(
    report: Report, actor, categories: Iterable[Category], *, add: bool = False
) -> ReportChange | None:
    """Set the categories (or, with add=True, add to them). The first becomes the primary category."""
    categories = list(categories)
    if any(category.report_map_id != report.report_map_id for category in categories):
        raise ValidationError(_("That category belongs to another map."))
    with transaction.atomic():
        _claim(report, actor)
        current = list(report.categories.all())
        if add:
            categories = current + [c for c in categories if c.pk not in {x.pk for x in current}]
        if {c.pk for c in current} == {c.pk for c in categories}:
            return None
        report.categories.set(categories)
        kept = report.primary_category_id in {c.pk for c in categories}
        primary = report.primary_category_id if kept else (categories[0].pk if categories else None)
        report.primary_category_id = primary
        report.save(update_fields=["primary_category", "updated_at"])
        return log_change(
            report,
            "categorised",
            actor,
            {"categories": [_category_names(current), _category_names(categories)]},
        )


def set_verified(report: Report, actor, verified: bool) -> ReportChange | None:
    with transaction.atomic():
        _claim(report, actor)
        return _apply(report, actor, "verified" if verified else "unverified", {"verified": verified})


def can_move(old: str, new: str) -> bool:
    return new in ALLOWED_TRANSITIONS.get(old, set())


def set_status(report: Report, actor, status: str) -> ReportChange | None:
    """Move a report along received → in review → published / archived (see ALLOWED_TRANSITIONS)."""
    with transaction.atomic():
        _claim(report, actor)
        if report.status == status:
            return None
        if report.merged_into_id and status == Status.PUBLISHED:
            raise ValidationError(_("This report was merged into another one; publish that one instead."))
        if not can_move(report.status, status):
            raise ValidationError(
                _("A report that is “%(old)s” cannot become “%(new)s”.")
                % {"old": Status(report.status).label, "new": Status(status).label}
            )
        values: dict = {"status": status}
        if status == Status.PUBLISHED:
            values["published_at"] = timezone.now()
        change = _apply(report, actor, "status", values)
        if status == Status.PUBLISHED:
            report_id = report.pk
            transaction.on_commit(lambda: report_published.send(sender=Report, report_id=report_id))
        return change


def start_review(report: Report, actor) -> ReportChange | None:
    return set_status(report, actor, Status.IN_REVIEW)


def publish_report(report: Report, actor) -> ReportChange | None:
    """Publish. An unlocated report is published too, but has no place on the map until geolocated."""
    return set_status(report, actor, Status.PUBLISHED)


def archive_report(report: Report, actor) -> ReportChange | None:
    return set_status(report, actor, Status.ARCHIVED)


def merge_report(report: Report, actor, into: Report) -> ReportChange:
    """Fold a duplicate into another report: it leaves public lists and the audit log says where it went."""
    if into.report_map_id != report.report_map_id or into.pk == report.pk:
        raise ValidationError(_("A report can only be merged into another report on the same map."))
    if into.merged_into_id:
        raise ValidationError(_("That report was itself merged; merge into the report it was merged into."))
    with transaction.atomic():
        _claim(report, actor)
        if report.merged_into_id:
            raise ValidationError(_("This report was already merged."))
        # Audit names are the model's field names, not their _id columns.
        values: dict = {"merged_into": into.pk, "near_duplicate_of": None}
        if report.status != Status.ARCHIVED:
            values["status"] = Status.ARCHIVED
        old = {
            "merged_into": report.merged_into_id,
            "near_duplicate_of": report.near_duplicate_of_id,
            "status": report.status,
        }
        changes = {
            field: [_as_text(old[field]), _as_text(new)] for field, new in values.items() if old[field] != new
        }
        Report.objects.filter(pk=report.pk).update(
            merged_into_id=into.pk,
            near_duplicate_of_id=None,
            status=values.get("status", report.status),
            updated_at=timezone.now(),
        )
        report.merged_into_id, report.near_duplicate_of_id = into.pk, None
        report.status = values.get("status", report.status)
        log_change(into, "merged_in", actor, {"merged": [None, str(report.pk)]})
        return log_change(report, "merged", actor, changes)


def dismiss_near_duplicate(report: Report, actor) -> ReportChange | None:
    """A reviewer says the flagged report is not a duplicate after all."""
    with transaction.atomic():
        _claim(report, actor)
        if report.near_duplicate_of_id is None:
            return None
        old = report.near_duplicate_of_id
        Report.objects.filter(pk=report.pk).update(near_duplicate_of=None, updated_at=timezone.now())
        report.near_duplicate_of_id = None
        return log_change(report, "not_a_duplicate", actor, {"near_duplicate_of": [str(old), None]})


# --- Bulk actions ---------------------------------------------------------------------------------

BULK_ACTIONS = ("publish", "archive", "review", "verify", "unverify", "categorise")


def bulk_apply(
    report_map: ReportMap, actor, report_ids: Iterable[int], action: str, category: Category | None = None
) -> dict[str, int]:
    """Apply one action to the selected reports of one map. Returns counts: done, unchanged, locked, refused.

    Each report is its own transaction, so a refused one (a transition that is not allowed, or a report
    someone is editing) leaves the others done.
    """
    if action not in BULK_ACTIONS:
        raise ValidationError(_("Choose an action."))
    if action == "categorise" and (category is None or category.report_map_id != report_map.pk):
        raise ValidationError(_("Choose a category of this map."))
    counts = {"done": 0, "unchanged": 0, "locked": 0, "refused": 0}
    # Only this map's reports: ids from the form are never trusted to belong to it.
    for report in Report.objects.filter(report_map=report_map, pk__in=list(report_ids)).order_by("pk"):
        try:
            if action == "publish":
                change = publish_report(report, actor)
            elif action == "archive":
                change = archive_report(report, actor)
            elif action == "review":
                change = start_review(report, actor)
            elif action in ("verify", "unverify"):
                change = set_verified(report, actor, action == "verify")
            else:
                assert category is not None
                change = categorise_report(report, actor, [category], add=True)
        except ReportLocked:
            counts["locked"] += 1
        except ValidationError:
            counts["refused"] += 1
        else:
            counts["done" if change else "unchanged"] += 1
    return counts
