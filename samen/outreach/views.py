"""Outreach pages: messages, share links, dashboards, sending, and the /l/<code> redirect."""

from __future__ import annotations

import csv
from collections import defaultdict

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samen.people.models import Member

from . import access, actions, links, stats, tracking
from .attribution import share_links
from .charts import daily_chart
from .forms import DashboardForm, MessageForm, SendForm, sms_channels
from .models import KIND_CHOICES, Conversion, DailyCount, Message, Sending, TrackedLink, Variant

# --- The short link -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def follow(request, code: str):
    """/l/<code>: redirect at once; record a touch only for a person's real click."""
    link = tracking.link_by_code(code)
    if link is None or not links.is_safe_target(link["target"]):
        return render(request, "outreach/link_not_found.html", status=404)
    target = link["target"]
    user_agent = request.headers.get("User-Agent", "")
    if request.method == "HEAD" or tracking.is_prefetch(request):
        return _redirect(target)
    if tracking.is_bot(user_agent):
        if tracking.wants_card(user_agent):
            return _card(request, link)
        return _redirect(target)
    _touch, carried = tracking.record_touch(request, link)
    response = _redirect(target)
    tracking.write_cookie(response, carried, secure=request.is_secure())
    return response


def _redirect(target: str):
    response = HttpResponseRedirect(target)
    # Every click must reach us: no cache may answer for us, and a prefetch must not be reused.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def _card(request, link: dict):
    """What a social network's preview fetcher sees: Open Graph and Twitter-card metadata."""
    tracked = TrackedLink.objects.select_related("variant", "initiative").filter(pk=link["pk"]).first()
    if tracked is None:
        return render(request, "outreach/link_not_found.html", status=404)
    variant, initiative = tracked.variant, tracked.initiative
    title = (variant.preview_title if variant else "") or (initiative.title if initiative else "Samen")
    description = (variant.preview_description if variant else "") or (
        initiative.summary if initiative else ""
    )
    image = request.build_absolute_uri(initiative.image.url) if initiative and initiative.image else ""
    context = {
        "title": title,
        "description": description,
        "image": image,
        "target": request.build_absolute_uri(tracked.target)
        if tracked.target.startswith("/")
        else tracked.target,
    }
    response = render(request, "outreach/card.html", context)
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- Team pages ---------------------------------------------------------------------------------


@login_required
def overview(request, slug):
    initiative, _role = access.get_initiative_for_outreach(request.user, slug)
    summary = stats.initiative_summary(initiative)
    rows = []
    for message in Message.objects.filter(initiative=initiative).prefetch_related("variants"):
        counts = summary["counts"].get(message.pk, {})
        rows.append(
            {
                "message": message,
                "clicks": counts.get("clicks") or 0,
                "visitors": counts.get("visitors") or 0,
                "conversions": summary["conversions"].get(message.pk, 0),
            }
        )
    return render(request, "outreach/overview.html", {"initiative": initiative, "rows": rows})


@login_required
def message_new(request, slug):
    initiative, _role = access.get_initiative_for_outreach(request.user, slug)
    form = MessageForm(request.POST or None, initiative=initiative)
    if request.method == "POST" and form.is_valid():
        message = actions.create_message(
            initiative,
            by=request.user,
            title=form.cleaned_data["title"],
            target=form.cleaned_data["target"],
            email_subject=form.cleaned_data["email_subject"],
            variants=form.variants(),
        )
        flash.success(request, _("Your message is ready: share its links, or send it to your followers."))
        return redirect("outreach:message", slug=initiative.slug, pk=message.pk)
    return render(request, "outreach/message_form.html", {"initiative": initiative, "form": form})


def _labels(message: Message, variants: list[Variant]):
    variant_labels = {variant.pk: variant.label for variant in variants}
    promoter_ids = set(
        DailyCount.objects.filter(message=message, promoter__isnull=False).values_list("promoter", flat=True)
    )
    names = {member.pk: member.display_name for member in Member.objects.filter(pk__in=promoter_ids)}

    def variant_label(key):
        return _("Variant %(label)s") % {"label": variant_labels.get(key[0], "?")}

    def channel_label(key):
        return str(stats.CHANNEL_LABELS.get(key[0], key[0]))

    def variant_channel_label(key):
        return f"{variant_label(key[:1])} · {channel_label(key[1:])}"

    def promoter_label(key):
        return (
            names.get(key[0], _("The initiative's own links")) if key[0] else _("The initiative's own links")
        )

    return variant_label, channel_label, variant_channel_label, promoter_label


def _figures(request, message: Message, variants: list[Variant], *, model: str, goal: str) -> str:
    """Tables, A/B comparison and chart of a message, as HTML."""
    variant_label, channel_label, variant_channel_label, promoter_label = _labels(message, variants)
    cube = stats.Cube(message, model=model, goal=goal)
    by_variant = cube.rows("variant", label_of=variant_label)
    found = {row.key[0] for row in by_variant}
    by_variant += [stats.Row((v.pk,), variant_label((v.pk,))) for v in variants if v.pk not in found]
    by_variant.sort(key=lambda row: str(row.label))
    comparisons = [stats.z_test(by_variant[0], other) for other in by_variant[1:]]
    axis, series = stats.daily(message)
    chart = daily_chart(axis, [(variant_label((v.pk,)), series.get(v.pk, [0] * len(axis))) for v in variants])
    context = {
        "initiative": message.initiative,
        "message": message,
        "by_variant": by_variant,
        "comparisons": comparisons,
        "by_channel": cube.rows("channel", label_of=channel_label),
        "by_variant_channel": cube.rows("variant", "channel", label_of=variant_channel_label),
        "by_promoter": cube.rows("promoter", label_of=promoter_label),
        "kinds": KIND_CHOICES,
        "chart": chart,
    }
    return render_to_string("outreach/_figures.html", context, request=request)


@login_required
def message_detail(request, slug, pk):
    message = access.get_message_for_team(request.user, slug, pk)
    initiative = message.initiative
    variants = list(message.variants.all())
    dashboard = DashboardForm(request.GET or None)
    model, goal = dashboard.chosen()
    # The figures are drawn once per change: the key holds the clicks, visitors and conversions so
    # far (three index-only aggregates), so a new click or conversion shows at once.
    key = (
        f"outreach:figures:{message.pk}:{model}:{goal}:{get_language()}:{timezone.now().date()}:"
        f"{stats.version(message)}"
    )
    figures = cache.get(key)
    if figures is None:
        figures = _figures(request, message, variants, model=model, goal=goal)
        cache.set(key, figures, 3600)
    share = [
        {
            "variant": variant,
            "links": share_links(
                request,
                target=message.target,
                text=variant.text,
                variant=variant,
                email_subject=variant.email_subject,
            ),
        }
        for variant in variants
    ]
    context = {
        "initiative": initiative,
        "message": message,
        "share": share,
        "dashboard": dashboard,
        "model": model,
        "figures": mark_safe(figures),  # noqa: S308 - our own template's output, escaped when rendered
        "goal": goal,
        "model_choices": dashboard.fields["model"].choices,
        "goal_choices": dashboard.fields["goal"].choices,
        "gateways": list(sms_channels().only("pk", "name")),
        "sendings": Sending.objects.filter(variant__message=message).select_related("variant")[:10],
    }
    return render(request, "outreach/message.html", context)


@login_required
@require_POST
def message_send(request, slug, pk):
    message = access.get_message_for_team(request.user, slug, pk)
    form = SendForm(request.POST, message=message)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, error)
        return redirect("outreach:message", slug=slug, pk=message.pk)
    variant = message.variants.get(label=form.cleaned_data["variant"])
    actions.send_variant(
        variant,
        medium=form.cleaned_data["medium"],
        by=request.user,
        gateway_channel=form.cleaned_data.get("gateway"),
    )
    flash.success(
        request,
        _("Variant %(label)s is on its way to your followers. People who opted out get nothing.")
        % {"label": variant.label},
    )
    return redirect("outreach:message", slug=slug, pk=message.pk)


class _Echo:
    def write(self, value):
        return value


@login_required
def message_csv(request, slug, pk):
    """Per day, variant and channel: clicks, unique visitors and conversions of each kind (last touch)."""
    message = access.get_message_for_team(request.user, slug, pk)
    variant_labels = dict(message.variants.values_list("pk", "label"))
    rows = defaultdict(
        lambda: {
            "clicks": 0,
            "visitors": 0,
            "kinds": defaultdict(int),
            "money": defaultdict(int),
            "minutes": 0,
        }
    )
    for item in (
        DailyCount.objects.filter(message=message)
        .values("day", "variant", "channel")
        .annotate(clicks=Sum("clicks"), visitors=Sum("visitors"))
        .order_by()
    ):
        row = rows[(item["day"], item["variant"], item["channel"])]
        row["clicks"] += item["clicks"]
        row["visitors"] += item["visitors"]
    for item in (
        Conversion.objects.filter(message=message)
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "variant", "channel", "kind", "currency")
        .annotate(n=Count("id"), amount=Sum("amount_minor"), minutes=Sum("minutes"))
        .order_by()
    ):
        row = rows[(item["day"], item["variant"], item["channel"])]
        row["kinds"][item["kind"]] += item["n"]
        if item["amount"] and item["currency"]:
            row["money"][item["currency"]] += item["amount"]
        row["minutes"] += item["minutes"] or 0

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(
            ["day", "variant", "channel", "clicks", "unique_visitors", *stats.KINDS, "money_minor", "minutes"]
        )
        for (day, variant, channel), row in sorted(
            rows.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2])
        ):
            money = " ".join(f"{currency}:{amount}" for currency, amount in sorted(row["money"].items()))
            yield writer.writerow(
                [
                    day.isoformat(),
                    variant_labels.get(variant, ""),
                    channel,
                    row["clicks"],
                    row["visitors"],
                    *(row["kinds"].get(kind, 0) for kind in stats.KINDS),
                    money,
                    row["minutes"],
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="outreach-{message.pk}.csv"'
    return response


@login_required
def message_share(request, slug, pk):
    """A member's own links for a message: clicks and what follows count for them as promoter."""
    message, _role = access.get_message_for_promoter(request.user, slug, pk)
    variants = list(message.variants.all())
    share = []
    try:
        for variant in variants:
            share.append(
                {
                    "variant": variant,
                    "links": share_links(
                        request,
                        target=message.target,
                        text=variant.text,
                        variant=variant,
                        promoter=request.user,
                        email_subject=variant.email_subject,
                    ),
                }
            )
    except ValidationError:
        share = []
    back = reverse("initiatives:detail", args=[message.initiative.slug])
    return render(request, "outreach/share.html", {"message": message, "share": share, "back": back})
