"""Giving pages under /give/. Views parse, call one action, and render or redirect.

Every form is a plain POST that redirects; htmx only polls the leaderboard.
"""

from __future__ import annotations

import io
import logging

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core import spreadsheet, throttle
from samen.core.access import Role
from samen.core.cache import fragments
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer, initiative_by_slug
from samen.initiatives.models import Initiative
from samen.outreach import attribution

from . import access, actions, charts, providers, tasks
from . import money as amounts
from . import outreach as campaign_outreach
from .forms import CampaignForm, DonateForm, GoalForm, JoinForm, MatchingFundForm, ProjectForm
from .models import PROMISED, RECEIVED, Campaign, CampaignProject, Donation, FundraisingGoal, Promoter

logger = logging.getLogger(__name__)


QR_CHANNEL = "web"


def _poll_seconds() -> int:
    return int(getattr(settings, "SAMEN_GIVING_POLL_SECONDS", 10))


# --- Giving to an initiative ----------------------------------------------------------------------


def _credit(data) -> tuple[Promoter | None, CampaignProject | None]:
    """The promoter or project a donate form or URL carries; unknown ids are simply not credited."""
    promoter = project = None
    try:
        promoter_id = int(data.get("promoter") or 0)
        project_id = int(data.get("project") or 0)
    except (TypeError, ValueError):
        return None, None
    if promoter_id:
        promoter = (
            Promoter.objects.select_related("project__campaign", "project__initiative", "member")
            .filter(pk=promoter_id)
            .first()
        )
    if project_id and promoter is None:
        project = CampaignProject.objects.select_related("campaign").filter(pk=project_id).first()
    return promoter, project


@require_http_methods(["GET", "POST"])
def give(request, slug):
    initiative, role = get_initiative_for_viewer(request.user, slug)
    goal = FundraisingGoal.objects.filter(initiative=initiative).first()
    promoter, project = _credit(request.POST if request.method == "POST" else request.GET)
    if promoter is not None and promoter.project.initiative_id != initiative.pk:
        promoter = None
    if project is not None and project.initiative_id != initiative.pk:
        project = None
    campaign = (promoter.project.campaign if promoter else None) or (project.campaign if project else None)
    currency = campaign.currency if campaign else (goal.currency if goal else "EUR")
    initial = {"promoter": promoter.pk if promoter else None, "project": project.pk if project else None}
    if request.user.is_authenticated:
        initial.update(name=request.user.name, email=request.user.email)
    form = DonateForm(request.POST or None, initial=initial, currency=currency)
    if request.method == "POST" and form.is_valid():
        wait = throttle.hit(request, "donate", key=throttle.who(request))
        if wait is not None:
            return throttle.too_many(request, wait)
        data = form.cleaned_data
        try:
            donation, redirect_url = actions.create_donation(
                initiative,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                email=data["email"],
                name=data["name"],
                message=data["message"],
                anonymous=data["anonymous"],
                monthly=data["monthly"],
                provider=data["provider"],
                member=request.user,
                promoter=promoter,
                project=project,
                touch_ids=attribution.touch_ids(request),
                return_url_for=lambda d: request.build_absolute_uri(d.get_absolute_url()),
                webhook_url=request.build_absolute_uri(reverse("giving:webhook", args=[data["provider"]])),
            )
        except actions.DonationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if redirect_url:
                return redirect(redirect_url)
            if donation.awaiting_confirmation:
                messages.info(
                    request, _("Almost done: confirm your pledge with the link we sent you by e-mail.")
                )
            else:
                messages.success(request, _("Thank you! Your pledge is recorded."))
            return redirect(donation.get_absolute_url())
    return render(
        request,
        "giving/give.html",
        {
            "initiative": initiative,
            "goal": goal,
            "form": form,
            "promoter": promoter,
            "campaign": campaign,
            "is_team": role >= Role.TEAM,
            "supporters": access.supporters(initiative),
            "limits": amounts.limits(),
        },
    )


@require_safe
def donation_status(request, public_id):
    donation = access.get_donation_by_public_id(public_id)
    can_stop = (
        donation.monthly
        and donation.parent_id is None
        and donation.recurring_ended_at is None
        and donation.state in (Donation.State.NEW, Donation.State.PENDING, Donation.State.SUCCEEDED)
    )
    context = {"donation": donation, "initiative": donation.initiative, "can_stop": can_stop}
    return render(request, "giving/donation.html", context)


@require_http_methods(["GET", "POST"])
def confirm_pledge(request, token):
    """The link in the confirmation e-mail. GET asks (mail scanners follow links), POST confirms."""
    try:
        donation = actions.pledge_for_token(token)
    except actions.ConfirmLinkError as error:
        return render(
            request,
            "giving/confirm_pledge.html",
            {"invalid": True, "expired": error.expired},
            status=410 if error.expired else 400,
        )
    confirmed = False
    if request.method == "POST":
        confirmed = actions.confirm_pledge(donation)
        if confirmed:
            messages.success(request, _("Thank you! Your pledge is confirmed and counts now."))
            return redirect(donation.get_absolute_url())
    waiting = donation.awaiting_confirmation and donation.state == Donation.State.NEW
    context = {"donation": donation, "initiative": donation.initiative, "waiting": waiting}
    return render(request, "giving/confirm_pledge.html", context)


@require_POST
def stop_monthly(request, public_id):
    """The donor's own page (the unguessable link in their receipt) stops their monthly gift."""
    donation = access.get_donation_by_public_id(public_id)
    try:
        stopped = actions.stop_monthly(donation)
    except actions.DonationError as error:
        messages.error(request, str(error))
    else:
        if stopped and donation.provider == "pledge":
            messages.success(request, _("Your monthly pledge is stopped: no further months are expected."))
        elif stopped:
            messages.success(request, _("Your monthly gift is stopped. Nothing more will be charged."))
    return redirect(donation.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug)
    goal = FundraisingGoal.objects.filter(initiative=initiative).first()
    initial = {}
    if goal:
        initial = {
            "amount": amounts.from_minor(goal.amount_minor, goal.currency),
            "currency": goal.currency,
            "deadline": timezone.localtime(goal.deadline),
        }
    form = GoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            goal = FundraisingGoal.objects.select_for_update().filter(initiative=initiative).first()
            if goal is None:
                goal = FundraisingGoal(initiative=initiative)
            changed_currency = goal.pk is None or goal.currency != data["currency"]
            goal.amount_minor, goal.currency, goal.deadline = (
                data["amount_minor"],
                data["currency"],
                data["deadline"],
            )
            goal.save()
            if changed_currency:
                _recount_goal(goal)
        messages.success(request, _("The fundraising goal is saved."))
        return redirect("giving:give", slug=initiative.slug)
    return render(request, "giving/goal_form.html", {"initiative": initiative, "form": form, "goal": goal})


def _recount_goal(goal: FundraisingGoal) -> None:
    """A new goal (or a new currency) starts from what was already given in that currency."""
    row = totals_of(Donation.objects.filter(initiative_id=goal.initiative_id, currency=goal.currency))
    FundraisingGoal.objects.filter(pk=goal.pk).update(
        raised_minor=row["received"] + row["promised"],
        promised_minor=row["promised"],
        supporter_count=row["n"],
    )


def _totals() -> dict:
    """Received and promised money, supporters and pledges awaiting confirmation, by the rules the
    counters follow (models.RECEIVED, models.PROMISED): for recounts and the team's dashboard."""
    return {
        "received": Sum("amount_minor", default=0, filter=RECEIVED),
        "promised": Sum("amount_minor", default=0, filter=PROMISED),
        "n": Count("id", filter=(RECEIVED | PROMISED) & Q(parent__isnull=True)),
        "waiting": Count("id", filter=Q(state=Donation.State.NEW, awaiting_confirmation=True)),
    }


def totals_of(donations) -> dict:
    return donations.aggregate(**_totals())


@login_required
@require_safe
def donations(request, slug):
    initiative, role, rows = access.donations_for_team(request.user, slug)
    # Per currency, received and promised apart: the same rules as the goal's counters.
    summary = rows.order_by().values("currency").annotate(**_totals()).order_by("currency")
    rows = rows.select_related("promoter__member")[:500]
    return render(
        request,
        "giving/donations.html",
        {
            "initiative": initiative,
            "donations": rows,
            "summary": summary,
            "goal": FundraisingGoal.objects.filter(initiative=initiative).first(),
            "is_owner": role >= Role.OWNER,
        },
    )


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    """Text cells neutralised against spreadsheet formulas; amounts, counts and ids stay numbers."""
    response = StreamingHttpResponse(spreadsheet.lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def donations_csv(request, slug):
    initiative, _role, rows = access.donations_for_team(request.user, slug)

    def lines():
        yield [
            "id", "created_at", "state", "amount_minor", "currency", "amount", "provider", "provider_ref",
            "name", "email", "anonymous", "monthly", "message", "campaign", "promoter", "late_for_campaign",
        ]  # fmt: skip
        query = rows.select_related("campaign", "promoter__member").order_by("created_at", "id")
        for d in query.iterator(chunk_size=1000):
            yield [
                d.public_id, d.created_at.isoformat(), d.state, d.amount_minor, d.currency,
                amounts.from_minor(d.amount_minor, d.currency), d.provider, d.provider_ref,
                d.name, d.email, d.anonymous, d.monthly, d.message,
                d.campaign.slug if d.campaign else "", d.promoter.member.name if d.promoter else "",
                d.late_for_campaign,
            ]  # fmt: skip

    return _csv_response(lines(), f"donations-{initiative.slug}.csv")


@login_required
@require_POST
def donation_action(request, slug, pk, action):
    donation = access.get_donation_for_owner(request.user, slug, pk)
    steps = {"paid": actions.mark_paid, "unpaid": actions.mark_unpaid, "refund": actions.refund}
    if action not in steps:
        return HttpResponse(status=404)
    try:
        moved = steps[action](donation)
    except actions.DonationError as error:
        messages.error(request, str(error))
    else:
        if moved:
            messages.success(
                request, _("The donation is now: %(state)s.") % {"state": donation.get_state_display()}
            )
        else:
            messages.info(request, _("Nothing changed: the donation was already further along."))
    return redirect("giving:donations", slug=slug)


# --- Webhooks -------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
@throttle.webhook("webhook_payment")
def webhook(request, kind):
    try:
        provider = providers.get(kind)
    except providers.ProviderError:
        return JsonResponse({"detail": "Unknown provider."}, status=404)
    if not provider.online or not provider.is_configured():
        return JsonResponse({"detail": "This provider is not switched on."}, status=404)
    try:
        result = provider.webhook(request)
    except providers.ForgedWebhook as error:
        logger.warning("refused a %s webhook: %s", kind, error)
        return JsonResponse({"detail": "This webhook could not be verified."}, status=400)
    except providers.ProviderError as error:
        logger.warning("%s webhook could not be checked: %s", kind, error)
        # 5xx: the provider retries later.
        return JsonResponse({"detail": "The payment could not be checked; try again."}, status=502)
    moved = actions.apply_webhook(kind, result)
    # A payment the webhook only names is fetched by a task, never on this thread.
    queued = tasks.fetch_later(kind, result.fetch)
    return JsonResponse({"received": True, "moved": moved, "queued": queued})


# --- Campaigns ------------------------------------------------------------------------------------


@require_safe
def campaign_list(request):
    now = timezone.now()
    campaigns = Campaign.objects.all()[:100]
    return render(request, "giving/campaign_list.html", {"campaigns": campaigns, "now": now})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    form = CampaignForm(
        request.POST or None, initial={"starts_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        base = slugify(data["title"])[:70] or "campaign"
        slug, n = base, 2
        while Campaign.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        campaign = Campaign.objects.create(
            slug=slug,
            title=data["title"],
            description=data["description"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            currency=data["currency"],
            organiser=request.user,
        )
        messages.success(request, _("The campaign is ready. Add the projects that take part."))
        return redirect("giving:campaign_manage", slug=campaign.slug)
    return render(request, "giving/campaign_form.html", {"form": form})


# The countdown shows minutes; the board is rendered again at least once a minute for it.
BOARD_BUCKET_SECONDS = 60


def board_context(campaign: Campaign) -> dict:
    """What the leaderboard shows: three queries, whatever the number of promoters or gifts."""
    promoters = list(
        campaign.promoters.select_related("member", "project__initiative")
        .only(
            "raised_minor",
            "promised_minor",
            "target_minor",
            "donation_count",
            "campaign_id",
            "project_id",
            "member__name",
            "project__initiative__title",
            "project__initiative__slug",
        )  # fmt: skip
        .order_by("-raised_minor", "id")
    )
    projects = list(
        campaign.projects.select_related("initiative")
        .only(
            "raised_minor",
            "promised_minor",
            "target_minor",
            "donation_count",
            "campaign_id",
            "initiative__title",
            "initiative__slug",
        )
        .order_by("-raised_minor", "id")
    )
    matching = actions.matching_for(campaign)
    now = timezone.now()
    return {
        "campaign": campaign,
        "promoters": promoters,
        "projects": projects,
        "matching": matching,
        "now": now,
        "running": campaign.is_running(now),
        "ended": campaign.has_ended(now),
        "promoter_chart": charts.ranking(
            [(p.member.name, p.received_minor, p.promised_minor) for p in promoters[:10]]
        ),
        "project_chart": charts.ranking(
            [(p.initiative.title, p.received_minor, p.promised_minor) for p in projects[:10]]
        ),
        "poll_seconds": _poll_seconds(),
    }


def leaderboard_html(request, campaign: Campaign) -> str:
    """The rendered leaderboard, shared by every viewer for a few seconds.

    During a 24-hour action everyone polls the same board. The key holds everything the board shows
    that can change: the totals (counters that move with every counted gift; promised_minor also
    when a pledge is marked paid, which changes neither the sum nor the count), board_version (a new
    promoter, project or sponsor), the language, the poll interval, whether the campaign has
    started or ended, and the minute (the countdown's resolution). So a gift shows at the next poll,
    the end shows the moment it comes, and the page costs one query and one cache hit in between.
    """
    now = timezone.now()
    key = ":".join(
        str(part)
        for part in (
            "giving:board", campaign.pk, campaign.created_at.timestamp(), campaign.raised_minor,
            campaign.promised_minor, campaign.donation_count, campaign.board_version, get_language(), _poll_seconds(),
            campaign.has_started(now), campaign.has_ended(now), int(now.timestamp()) // BOARD_BUCKET_SECONDS,
        )
    )  # fmt: skip
    html = fragments.get(key)
    if html is None:
        html = render_to_string("giving/_leaderboard.html", board_context(campaign), request=request)
        fragments.set(key, html, BOARD_BUCKET_SECONDS * 2)
    return html


@require_safe
def campaign_detail(request, slug):
    campaign = access.get_campaign(slug)
    user = request.user
    signed_in = user.is_authenticated
    context = {
        "campaign": campaign,
        "board_html": leaderboard_html(request, campaign),
        "ended": campaign.has_ended(),
        "my_promoter": Promoter.objects.filter(campaign=campaign, member=user).first() if signed_in else None,
        "is_organiser": signed_in and campaign.organiser_id == user.pk,
    }
    return render(request, "giving/campaign.html", context)


@require_safe
def leaderboard(request, slug):
    campaign = access.get_campaign(slug)
    html = leaderboard_html(request, campaign)
    if request.htmx:
        return HttpResponse(html)
    return render(request, "giving/leaderboard.html", {"campaign": campaign, "board_html": html})


@login_required
@require_http_methods(["GET", "POST"])
def join(request, slug):
    campaign = access.get_campaign(slug)
    existing = Promoter.objects.filter(campaign=campaign, member=request.user).first()
    if existing:
        return redirect(existing.get_absolute_url())
    form = JoinForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            promoter = actions.join_campaign(
                campaign,
                request.user,
                project=data["project"],
                story=data["story"],
                target_minor=data["amount_minor"],
            )
        except actions.DonationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("You are a promoter now. Share your link!"))
            return redirect(promoter.get_absolute_url())
    return render(request, "giving/join.html", {"campaign": campaign, "form": form})


@require_safe
def promoter_page(request, slug, pk):
    campaign = access.get_campaign(slug)
    promoter = access.get_promoter(campaign, pk)
    initiative = promoter.project.initiative
    target = promoter.get_absolute_url()
    text = _("I raise money for %(title)s in %(campaign)s. Will you help?") % {
        "title": initiative.title,
        "campaign": campaign.title,
    }
    share = attribution.share_links(
        request, target=target, text=text, subject=campaign, promoter=promoter.member
    )
    form = DonateForm(initial={"promoter": promoter.pk}, currency=campaign.currency)
    is_me = request.user.is_authenticated and promoter.member_id == request.user.pk
    return render(
        request,
        "giving/promoter.html",
        {
            "campaign": campaign,
            "promoter": promoter,
            "initiative": initiative,
            "share_links": share,
            "form": form,
            "running": campaign.is_running(),
            "ended": campaign.has_ended(),
            "is_me": is_me,
            "organiser_messages": campaign_outreach.messages_to_share(campaign) if is_me else [],
            "page_url": attribution.tracked_url(
                request, target=target, channel="web", subject=campaign, promoter=promoter.member
            ),
        },
    )


@require_safe
def promoter_qr(request, slug, pk):
    campaign = access.get_campaign(slug)
    promoter = access.get_promoter(campaign, pk)
    # Outreach has no "qr" channel (yet); a printed code is counted as a web link.
    url = attribution.tracked_url(
        request,
        target=promoter.get_absolute_url(),
        channel=QR_CHANNEL,
        subject=campaign,
        promoter=promoter.member,
    )
    qr = segno.make(url, error="m")
    # A standalone SVG document (with its namespace): an <img> draws nothing without one.
    svg = io.BytesIO()
    qr.save(
        svg,
        kind="svg",
        scale=4,
        xmldecl=False,
        title=_("QR code for %(name)s's page") % {"name": promoter.member.name},
    )
    response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def campaign_manage(request, slug):
    campaign = access.get_campaign_for_organiser(request.user, slug)
    which = request.POST.get("form") if request.method == "POST" else None
    project_form = ProjectForm(request.POST if which == "project" else None, campaign=campaign)
    fund_form = MatchingFundForm(request.POST if which == "fund" else None, campaign=campaign)
    if which == "project" and project_form.is_valid():
        try:
            initiative = initiative_by_slug(project_form.cleaned_data["initiative"])
        except Exception:  # noqa: BLE001 - Http404
            initiative = None
        if initiative is None or initiative.status != Initiative.Status.OPEN:
            project_form.add_error("initiative", _("There is no open initiative at this address."))
        else:
            try:
                actions.add_project(
                    campaign, initiative, target_minor=project_form.cleaned_data["amount_minor"]
                )
            except actions.DonationError as error:
                project_form.add_error("initiative", str(error))
            else:
                messages.success(request, _("%(title)s takes part now.") % {"title": initiative.title})
                return redirect("giving:campaign_manage", slug=slug)
    if which == "fund" and fund_form.is_valid():
        actions.add_matching_fund(
            campaign,
            sponsor=fund_form.cleaned_data["sponsor"],
            cap_minor=fund_form.cleaned_data["amount_minor"],
        )
        messages.success(request, _("The matching fund is added."))
        return redirect("giving:campaign_manage", slug=slug)
    return render(
        request,
        "giving/campaign_manage.html",
        {
            "campaign": campaign,
            "project_form": project_form,
            "fund_form": fund_form,
            "projects": campaign.projects.select_related("initiative"),
            "funds": campaign.matching_funds.all(),
        },
    )


@require_safe
def results_csv(request, slug):
    """Public: the same numbers the leaderboard shows, as rows."""
    campaign = access.get_campaign(slug)
    context = board_context(campaign)

    def lines():
        yield ["kind", "rank", "name", "initiative", "raised_minor", "currency", "donations", "target_minor"]
        for rank, p in enumerate(context["projects"], 1):
            yield ["project", rank, p.initiative.title, p.initiative.slug, p.raised_minor, campaign.currency,
                   p.donation_count, p.target_minor]  # fmt: skip
        for rank, pr in enumerate(context["promoters"], 1):
            yield ["promoter", rank, pr.member.name, pr.project.initiative.slug, pr.raised_minor,
                   campaign.currency, pr.donation_count, pr.target_minor]  # fmt: skip
        for match in context["matching"].matches:
            yield ["match", "", match.fund.sponsor, "", match.matched_minor, campaign.currency, "",
                   match.fund.cap_minor]  # fmt: skip
        yield ["total", "", campaign.title, "", context["matching"].total_minor, campaign.currency,
               campaign.donation_count, ""]  # fmt: skip

    return _csv_response(lines(), f"campaign-{campaign.slug}.csv")
