"""Subscription pages (anyone) and webhook pages (coordinators).

A subscription is reached by its secret token alone: the links in every message work without
logging in. The pages never show the full address, so a forwarded link does not give it away.
"""

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core import throttle

from .. import notify, tasks
from ..access import get_map_for_coordinator, get_map_for_viewer
from ..clustering import BadParameter, BBox
from ..models import Category, ReportMap, Subscription, Webhook, WebhookDelivery

DELIVERIES_PER_PAGE = 25
# Where the just-made secret waits for the next page view, the only time it is shown whole.
SHOWN_SECRET_KEY = "reports:webhook-secret"  # noqa: S105 - a session key, not a secret


# --- Forms --------------------------------------------------------------------------------------


class CategoryField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class SubscribeForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Send alerts by"), widget=forms.RadioSelect)
    address = forms.CharField(
        label=gettext_lazy("E-mail address or mobile number"),
        max_length=255,
        help_text=gettext_lazy(
            "A mobile number starts with + and the country code, for example +254 712 345678."
        ),
    )
    categories = CategoryField(
        label=gettext_lazy("Only these categories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Choose none to hear about every category. A category includes the ones under it."
        ),
    )
    south = forms.DecimalField(label=gettext_lazy("South edge (latitude)"), required=False)
    west = forms.DecimalField(label=gettext_lazy("West edge (longitude)"), required=False)
    north = forms.DecimalField(label=gettext_lazy("North edge (latitude)"), required=False)
    east = forms.DecimalField(label=gettext_lazy("East edge (longitude)"), required=False)

    def __init__(self, *args, report_map: ReportMap, **kwargs):
        super().__init__(*args, **kwargs)
        offered = notify.offered_channels(report_map)
        labels = dict(Subscription.Channel.choices)
        channel = cast(forms.ChoiceField, self.fields["channel"])
        channel.choices = [(value, labels[value]) for value in offered]
        if len(offered) == 1:
            channel.initial = offered[0]
        cast(CategoryField, self.fields["categories"]).queryset = (
            Category.objects.filter(report_map=report_map)
            .select_related("parent")
            .order_by("parent__position", "parent__title", "parent_id", "position", "title")
        )
        self.bbox: BBox | None = None

    def clean(self):
        cleaned = super().clean()
        edges = [cleaned.get(name) for name in ("south", "west", "north", "east")]
        if any(name in self.errors for name in ("south", "west", "north", "east")):
            return cleaned
        if any(edge is not None for edge in edges):
            if any(edge is None for edge in edges):
                raise ValidationError(_("Give all four edges of the area, or none for the whole map."))
            try:
                self.bbox = BBox.parse(",".join(str(edge) for edge in edges))
            except BadParameter as error:
                self.add_error(None, error.message)
        channel, address = cleaned.get("channel"), cleaned.get("address")
        if channel and address:
            try:
                cleaned["address"] = notify.normalise_address(channel, address)
            except ValidationError as invalid:
                # Django's own e-mail message does not say what a valid one looks like.
                message = (
                    _("Enter a valid e-mail address, for example amina@example.org.")
                    if channel == Subscription.Channel.EMAIL
                    else invalid.messages[0]
                )
                self.add_error("address", message)
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address that receives the reports"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("We POST every newly published report there as JSON, signed with a secret."),
    )

    def clean_url(self):
        return notify.check_webhook_url(self.cleaned_data["url"])


# --- Subscriptions ------------------------------------------------------------------------------


def _initial_area(request) -> dict:
    """The map page's "current view" arrives as ?bbox=south,west,north,east (as the map's own requests
    send it); a bad one is ignored, since the person can still type the area."""
    text = request.GET.get("bbox", "")
    if not text:
        return {}
    try:
        bbox = BBox.parse(text)
    except BadParameter:
        return {}
    return {"south": bbox.south, "west": bbox.west, "north": bbox.north, "east": bbox.east}


@require_http_methods(["GET", "POST"])
def subscribe(request, slug):
    report_map, _role = get_map_for_viewer(request.user, slug)
    initial = _initial_area(request)
    if request.user.is_authenticated:
        initial["address"] = request.user.email
    form = SubscribeForm(request.POST or None, initial=initial, report_map=report_map)
    if request.method == "POST" and form.is_valid():
        # Per client, and per address: nobody may flood a stranger's inbox or phone with confirmations.
        wait = throttle.hit(request, "subscribe") or throttle.hit(
            request, "subscribe_address", key=f"{form.cleaned_data['channel']}:{form.cleaned_data['address']}"
        )
        if wait is not None:
            return throttle.too_many(request, wait)
        try:
            subscription = notify.request_subscription(
                report_map,
                channel=form.cleaned_data["channel"],
                address=form.cleaned_data["address"],
                categories=form.cleaned_data["categories"],
                bbox=form.bbox,
                member=request.user,
            )
        except notify.SubscriptionRefused as refused:
            form.add_error(None, refused.message)
        else:
            if subscription.channel == Subscription.Channel.SMS:
                # Whoever typed the number is sent to the code page; only the phone's owner has the code.
                return redirect("reports:subscription_confirm", report_map.slug, subscription.token)
            # The confirmation page is reached only from the e-mail, which proves the address is theirs.
            return redirect("reports:subscribe_sent", report_map.slug)
    return render(request, "reports/notify_subscribe.html", {"report_map": report_map, "form": form})


@require_safe
def subscribe_sent(request, slug):
    report_map, _role = get_map_for_viewer(request.user, slug)
    return render(request, "reports/notify_subscribe_sent.html", {"report_map": report_map})


def _subscription(slug: str, token: str) -> Subscription:
    return get_object_or_404(
        Subscription.objects.select_related("report_map__initiative"), token=token, report_map__slug=slug
    )


def _masked(subscription: Subscription) -> str:
    address = subscription.address
    if subscription.channel == Subscription.Channel.SMS:
        return address[:4] + "•" * max(0, len(address) - 7) + address[-3:]
    name, _at, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}"


@require_http_methods(["GET", "POST"])
def subscription_confirm(request, slug, token):
    subscription = _subscription(slug, token)
    is_sms = subscription.channel == Subscription.Channel.SMS
    form = CodeForm(request.POST or None) if is_sms else None
    if request.method == "POST":
        if not is_sms and notify.confirm(subscription):
            messages.success(request, _("Confirmed. You will hear about new reports."))
            return redirect("reports:subscription_confirm", slug, token)
        if is_sms and form is not None and form.is_valid():
            if notify.confirm_with_code(subscription, form.cleaned_data["code"]):
                messages.success(request, _("Confirmed. You will get an SMS about new reports."))
                return redirect("reports:subscription_confirm", slug, token)
            left = notify.MAX_CODE_ATTEMPTS - subscription.confirm_attempts
            if left > 0 and notify.is_pending(subscription):
                form.add_error(
                    "code",
                    _("That code is not right. You can try %(left)s more times.") % {"left": left},
                )
    context = {
        "subscription": subscription,
        "report_map": subscription.report_map,
        "pending": notify.is_pending(subscription),
        "is_sms": is_sms,
        "form": form,
        "masked": _masked(subscription),
    }
    return render(request, "reports/notify_confirm.html", context)


@require_http_methods(["GET", "POST"])
def unsubscribe(request, slug, token):
    """Unsubscribes on GET as well: the link in a message must work with one tap. POST is the
    one-click form (RFC 8058) that mail clients use."""
    subscription = _subscription(slug, token)
    notify.unsubscribe(subscription)
    context = {
        "subscription": subscription,
        "report_map": subscription.report_map,
        "masked": _masked(subscription),
    }
    return render(request, "reports/notify_unsubscribed.html", context)


@require_POST
def resubscribe(request, slug, token):
    subscription = _subscription(slug, token)
    if notify.resubscribe(subscription):
        messages.success(request, _("You are subscribed again."))
        return redirect("reports:subscription_confirm", slug, token)
    messages.error(request, _("This subscription cannot come back. Please subscribe again."))
    return redirect("reports:subscribe", slug)


# --- Webhooks -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request, slug):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        webhook = Webhook.objects.create(
            report_map=report_map, url=form.cleaned_data["url"], secret=notify.new_secret()
        )
        request.session[SHOWN_SECRET_KEY] = [webhook.pk, webhook.secret]
        messages.success(request, _("Webhook added. Copy its secret now: it is shown only once."))
        return redirect("reports:webhook", report_map.slug, webhook.pk)
    webhooks = report_map.webhooks.order_by("-created_at")
    return render(
        request,
        "reports/notify_webhooks.html",
        {"report_map": report_map, "form": form, "webhooks": webhooks},
    )


def _webhook(request, slug, pk) -> tuple[ReportMap, Webhook]:
    report_map, _role = get_map_for_coordinator(request.user, slug)
    return report_map, get_object_or_404(Webhook, pk=pk, report_map=report_map)


@login_required
@require_safe
def webhook_detail(request, slug, pk):
    report_map, webhook = _webhook(request, slug, pk)
    shown = request.session.pop(SHOWN_SECRET_KEY, None)
    secret = shown[1] if shown and shown[0] == webhook.pk and shown[1] == webhook.secret else None
    deliveries = Paginator(
        webhook.deliveries.select_related("report").order_by("-created_at", "-pk"), DELIVERIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {
        "report_map": report_map,
        "webhook": webhook,
        "secret": secret,
        "secret_hint": notify.secret_hint(webhook),
        "deliveries": deliveries,
        "failed": WebhookDelivery.State.FAILED,
        "headers": {
            "event": notify.EVENT_HEADER,
            "delivery": notify.DELIVERY_HEADER,
            "timestamp": notify.TIMESTAMP_HEADER,
            "signature": notify.SIGNATURE_HEADER,
        },
    }
    return render(request, "reports/notify_webhook.html", context)


@login_required
@require_POST
def webhook_rotate(request, slug, pk):
    report_map, webhook = _webhook(request, slug, pk)
    secret = notify.rotate_secret(webhook)
    request.session[SHOWN_SECRET_KEY] = [webhook.pk, secret]
    messages.success(request, _("New secret made. The old one no longer signs anything."))
    return redirect("reports:webhook", report_map.slug, webhook.pk)


@login_required
@require_POST
def webhook_switch(request, slug, pk):
    report_map, webhook = _webhook(request, slug, pk)
    webhook.active = not webhook.active
    webhook.disabled_reason = (
        "" if webhook.active else _("Switched off by %(name)s.") % {"name": request.user.display_name}
    )
    webhook.save(update_fields=["active", "disabled_reason"])
    messages.success(request, _("Switched on.") if webhook.active else _("Switched off."))
    return redirect("reports:webhook", report_map.slug, webhook.pk)


@login_required
@require_POST
def webhook_delete(request, slug, pk):
    report_map, webhook = _webhook(request, slug, pk)
    webhook.delete()
    messages.success(request, _("Webhook removed."))
    return redirect("reports:webhooks", report_map.slug)


@login_required
@require_POST
def webhook_resend(request, slug, pk, delivery_pk):
    report_map, webhook = _webhook(request, slug, pk)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, webhook=webhook)
    if not webhook.active:
        messages.error(request, _("Switch the webhook on first."))
    elif tasks.resend(delivery):
        messages.success(request, _("Sent again; the list shows how it went."))
    else:
        messages.error(request, _("Only a failed delivery can be sent again."))
    return redirect("reports:webhook", report_map.slug, webhook.pk)


urlpatterns = [
    path("<slug:slug>/subscribe/", subscribe, name="subscribe"),
    path("<slug:slug>/subscribe/sent/", subscribe_sent, name="subscribe_sent"),
    path("<slug:slug>/subscriptions/<str:token>/confirm/", subscription_confirm, name="subscription_confirm"),
    path("<slug:slug>/subscriptions/<str:token>/unsubscribe/", unsubscribe, name="unsubscribe"),
    path("<slug:slug>/subscriptions/<str:token>/resubscribe/", resubscribe, name="resubscribe"),
    path("<slug:slug>/webhooks/", webhook_list, name="webhooks"),
    path("<slug:slug>/webhooks/<int:pk>/", webhook_detail, name="webhook"),
    path("<slug:slug>/webhooks/<int:pk>/rotate/", webhook_rotate, name="webhook_rotate"),
    path("<slug:slug>/webhooks/<int:pk>/switch/", webhook_switch, name="webhook_switch"),
    path("<slug:slug>/webhooks/<int:pk>/delete/", webhook_delete, name="webhook_delete"),
    path(
        "<slug:slug>/webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/",
        webhook_resend,
        name="webhook_resend",
    ),
]
