"""The outreach pages, for any scope: the list of messages, writing one, its dashboard, sending it,
its CSV and a member's own share links.

Each function takes a Scope whose viewer its caller has already checked (the initiative's team in
samen.outreach.views, a campaign's organiser in samen.giving). The URLs come from the scope, so the
same templates serve /outreach/<initiative>/… and /give/campaigns/<campaign>/outreach/….
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.db.models.functions import Lower, TruncDate
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core import spreadsheet
from samen.core.cache import fragments
from samen.messaging import optout
from samen.people.models import Member

from . import actions, scopes, stats
from .attribution import share_links
from .charts import daily_chart
from .forms import MODEL_CHOICES, DashboardForm, MessageForm, SendForm, goal_choices, sms_channels
from .models import KIND_CHOICES, Conversion, DailyCount, Message, Sending, Variant
from .scopes import Scope


def get_message(scope: Scope, pk: int) -> Message:
    """A message of this scope; 404 for any other."""
    message = scope.messages().filter(pk=pk).first()
    if message is None:
        raise Http404
    if scope.initiative is not None:
        message.initiative = scope.initiative
    return message


def _context(scope: Scope, **extra) -> dict:
    return {"scope": scope, "initiative": scope.initiative, **extra}


def overview(request, scope: Scope):
    found = list(scope.messages().prefetch_related("variants"))
    summary = stats.summary([message.pk for message in found])
    rows = []
    for message in found:
        counts = summary["counts"].get(message.pk, {})
        rows.append(
            {
                "message": message,
                "url": scope.url("message", message.pk),
                "clicks": counts.get("clicks") or 0,
                "visitors": counts.get("visitors") or 0,
                "conversions": summary["conversions"].get(message.pk, 0),
            }
        )
    return render(
        request, "outreach/overview.html", _context(scope, rows=rows, new_url=scope.url("message_new"))
    )


def message_new(request, scope: Scope):
    form = MessageForm(request.POST or None, default_target=scope.default_target())
    if request.method == "POST" and form.is_valid():
        message = actions.create_message(
            scope.initiative,
            by=request.user,
            title=form.cleaned_data["title"],
            target=form.cleaned_data["target"],
            email_subject=form.cleaned_data["email_subject"],
            variants=form.variants(),
            subject=scope.subject,
        )
        flash.success(request, _("Your message is ready: share its links, or send it to your followers."))
        return redirect(scope.url("message", message.pk))
    return render(
        request, "outreach/message_form.html", _context(scope, form=form, back_url=scope.url("overview"))
    )


def message_edit(request, scope: Scope, message: Message):
    variants = list(message.variants.all())
    initial = {"title": message.title, "target": message.target}
    for variant in variants:
        initial[f"text_{variant.label.lower()}"] = variant.text
        initial[f"sms_{variant.label.lower()}"] = variant.sms_text
        for channel, text in (variant.channel_texts or {}).items():
            initial[f"{channel}_{variant.label.lower()}"] = text
        initial["email_subject"] = initial.get("email_subject") or variant.email_subject
    form = MessageForm(
        request.POST or None,
        initial=initial,
        default_target=message.target,
        keep=tuple(variant.label for variant in variants),
    )
    if request.method == "POST" and form.is_valid():
        actions.update_message(
            message,
            title=form.cleaned_data["title"],
            email_subject=form.cleaned_data["email_subject"],
            variants=form.variants(),
        )
        flash.success(request, _("The message is changed. Its links stay the same."))
        return redirect(scope.url("message", message.pk))
    back = scope.url("message", message.pk)
    return render(
        request,
        "outreach/message_form.html",
        _context(scope, form=form, back_url=back, message=message, editing=True),
    )


def has_figures(message: Message) -> bool:
    """Whether anyone has the message's links: clicked, converted, or been sent them."""
    return (
        DailyCount.objects.filter(message=message).exists()
        or Conversion.objects.filter(message=message).exists()
        or Sending.objects.filter(variant__message=message).exists()
    )


def message_delete(request, scope: Scope, message: Message):
    """Only a message nobody has clicked yet: figures, once there, stay."""
    if has_figures(message):
        flash.error(
            request,
            _("People have this message's links (used, or sent to them); it stays, with its figures."),
        )
        return redirect(scope.url("message", message.pk))
    title = message.title
    message.delete()
    flash.success(request, _("The message “%(title)s” is deleted.") % {"title": title})
    return redirect(scope.url("overview"))


def _labels(message: Message, variants: list[Variant]):
    variant_labels = {variant.pk: variant.label for variant in variants}
    promoter_ids = set(
        DailyCount.objects.filter(message=message, promoter__isnull=False).values_list("promoter", flat=True)
    )
    names = {member.pk: member.display_name for member in Member.objects.filter(pk__in=promoter_ids)}
    own = _("The initiative's own links") if message.initiative_id else _("The campaign's own links")

    def variant_label(key):
        return _("Variant %(label)s") % {"label": variant_labels.get(key[0], "?")}

    def channel_label(key):
        return str(stats.CHANNEL_LABELS.get(key[0], key[0]))

    def variant_channel_label(key):
        return f"{variant_label(key[:1])} · {channel_label(key[1:])}"

    def promoter_label(key):
        return names.get(key[0], own) if key[0] else own

    return variant_label, channel_label, variant_channel_label, promoter_label


def _figures(
    request, scope: Scope, message: Message, variants: list[Variant], *, model: str, goal: str
) -> str:
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
        "message": message,
        "csv_url": scope.url("message_csv", message.pk),
        "by_variant": by_variant,
        "comparisons": comparisons,
        "by_channel": cube.rows("channel", label_of=channel_label),
        "by_variant_channel": cube.rows("variant", "channel", label_of=variant_channel_label),
        "by_promoter": cube.rows("promoter", label_of=promoter_label),
        "kinds": KIND_CHOICES,
        "chart": chart,
    }
    return render_to_string("outreach/_figures.html", context, request=request)


def message_detail(request, scope: Scope, message: Message):
    variants = list(message.variants.all())
    dashboard = DashboardForm(request.GET or None)
    model, goal = dashboard.chosen()
    # The figures are drawn once per change: the key holds the clicks, visitors and conversions so
    # far (three index-only aggregates), so a new click or conversion shows at once.
    key = (
        f"outreach:figures:{message.pk}:{model}:{goal}:{get_language()}:{timezone.now().date()}:"
        f"{stats.version(message)}"
    )
    figures = fragments.get(key)
    if figures is None:
        figures = _figures(request, scope, message, variants, model=model, goal=goal)
        fragments.set(key, figures, 3600)
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
    context = _context(
        scope,
        message=message,
        share=share,
        dashboard=dashboard,
        model=model,
        figures=mark_safe(figures),  # noqa: S308 - our own template's output, escaped when rendered
        goal=goal,
        model_choices=MODEL_CHOICES,
        goal_choices=goal_choices(),
        can_send=scopes.audience(message) is not None,
        reach={medium: _reach(message, medium) for medium in ("email", "sms")},
        gateways=list(sms_channels().only("pk", "name")),
        sendings=Sending.objects.filter(variant__message=message).select_related("variant")[:10],
        back_url=scope.url("overview"),
        edit_url=scope.url("message_edit", message.pk),
        delete_url=None if has_figures(message) else scope.url("message_delete", message.pk),
        share_url=scope.url("message_share", message.pk),
        send_url=scope.url("message_send", message.pk),
    )
    return render(request, "outreach/message.html", context)


def _reach(message: Message, medium: str) -> int:
    """How many people a sending by `medium` would reach now: its recipients less who opted out."""
    found = scopes.recipients(message, medium)
    if found is None:
        return 0
    if medium == "sms":
        return found.exclude(phone__in=optout.opted_out_addresses("sms")).count()
    return (
        found.annotate(address=Lower("email"))
        .exclude(address__in=optout.opted_out_addresses("email"))
        .count()
    )


def message_send(request, scope: Scope, message: Message):
    form = SendForm(request.POST, message=message)
    back = scope.url("message", message.pk)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, str(error))
        return redirect(back)
    if scopes.audience(message) is None:
        flash.error(request, _("This message has nobody to be sent to; share its links instead."))
        return redirect(back)
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
    return redirect(back)


@dataclass
class _Day:
    """One CSV row: a day, variant and channel."""

    clicks: int = 0
    visitors: int = 0
    kinds: Counter = field(default_factory=Counter)
    money: Counter = field(default_factory=Counter)
    minutes: int = 0


def message_csv(request, scope: Scope, message: Message):
    """Per day, variant and channel: clicks, unique visitors and conversions of each kind (last touch)."""
    variant_labels = dict(message.variants.values_list("pk", "label"))
    rows: defaultdict[tuple, _Day] = defaultdict(_Day)
    for item in (
        DailyCount.objects.filter(message=message)
        .values("day", "variant", "channel")
        .annotate(clicks=Sum("clicks"), visitors=Sum("visitors"))
        .order_by()
    ):
        row = rows[(item["day"], item["variant"], item["channel"])]
        row.clicks += item["clicks"]
        row.visitors += item["visitors"]
    for conversion in (
        Conversion.objects.filter(message=message)
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "variant", "channel", "kind", "currency")
        .annotate(n=Count("id"), amount=Sum("amount_minor"), minutes=Sum("minutes"))
        .order_by()
    ):
        row = rows[(conversion["day"], conversion["variant"], conversion["channel"])]
        row.kinds[conversion["kind"]] += conversion["n"]
        if conversion["amount"] and conversion["currency"]:
            row.money[conversion["currency"]] += conversion["amount"]
        row.minutes += conversion["minutes"] or 0

    def lines():
        writer = spreadsheet.Writer()  # labels and channels neutralised; the figures stay numbers
        yield writer.writerow(
            ["day", "variant", "channel", "clicks", "unique_visitors", *stats.KINDS, "money_minor", "minutes"]
        )
        for (day, variant, channel), row in sorted(
            rows.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2])
        ):
            money = " ".join(f"{currency}:{amount}" for currency, amount in sorted(row.money.items()))
            yield writer.writerow(
                [
                    day.isoformat(),
                    variant_labels.get(variant, ""),
                    channel,
                    row.clicks,
                    row.visitors,
                    *(row.kinds[kind] for kind in stats.KINDS),
                    money,
                    row.minutes,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="outreach-{message.pk}.csv"'
    return response


def message_share(request, scope: Scope, message: Message, *, target: str | None = None):
    """A member's own links for a message: clicks and what follows count for them as promoter.

    `target` replaces the message's own (a campaign's promoter gets links to their own page, so
    what they raise is credited to them).
    """
    share = []
    try:
        for variant in message.variants.all():
            share.append(
                {
                    "variant": variant,
                    "links": share_links(
                        request,
                        target=target or message.target,
                        text=variant.text,
                        variant=variant,
                        promoter=request.user,
                        email_subject=variant.email_subject,
                    ),
                }
            )
    except ValidationError:
        share = []
    return render(
        request,
        "outreach/share.html",
        _context(scope, message=message, share=share, back=scope.page_url),
    )


def manager_views(get_scope):
    """The views of the pages only a scope's managers see, for a URLconf.

    `get_scope(request, slug)` checks the viewer (404 or 403 for anyone else) and returns the scope.
    Returns (overview, message_new, message_detail, message_edit, message_delete, message_send,
    message_csv).
    """

    def with_message(page):
        def view(request, slug, pk):
            scope = get_scope(request, slug)
            return page(request, scope, get_message(scope, pk))

        return view

    return (
        login_required(require_safe(lambda request, slug: overview(request, get_scope(request, slug)))),
        login_required(
            require_http_methods(["GET", "POST"])(
                lambda request, slug: message_new(request, get_scope(request, slug))
            )
        ),
        login_required(require_safe(with_message(message_detail))),
        login_required(require_http_methods(["GET", "POST"])(with_message(message_edit))),
        login_required(require_POST(with_message(message_delete))),
        login_required(require_POST(with_message(message_send))),
        login_required(require_safe(with_message(message_csv))),
    )
