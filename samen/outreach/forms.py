from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from samen.messaging.models import Channel

from . import actions, attribution, links
from .models import CHANNEL_CHOICES, KIND_CHOICES

CHANNEL_NAMES = dict(CHANNEL_CHOICES)

VARIANT_LABELS = ("A", "B", "C")


class MessageForm(forms.Form):
    title = forms.CharField(label=_("Name"), max_length=140, help_text=_("For your team only."))
    target = forms.CharField(
        label=_("Where the links lead"),
        max_length=500,
        help_text=_(
            "A page on this site, such as /initiatives/clean-water/. Leave it empty for the initiative's or the campaign's own page."
        ),
        required=False,
    )
    email_subject = forms.CharField(label=_("E-mail subject"), max_length=140, required=False)
    text_a = forms.CharField(
        label=_("Variant A: share text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    sms_a = forms.CharField(label=_("Variant A: SMS text (optional)"), max_length=140, required=False)
    text_b = forms.CharField(
        label=_("Variant B: share text (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sms_b = forms.CharField(label=_("Variant B: SMS text (optional)"), max_length=140, required=False)
    text_c = forms.CharField(
        label=_("Variant C: share text (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sms_c = forms.CharField(label=_("Variant C: SMS text (optional)"), max_length=140, required=False)

    def __init__(self, *args, default_target: str = "", keep: tuple[str, ...] = (), **kwargs):
        """`keep`: the labels of the variants a message has already (editing it): they stay."""
        super().__init__(*args, **kwargs)
        self.default_target = default_target
        self.keep = keep
        for label in VARIANT_LABELS:
            for channel in actions.OWN_TEXT_CHANNELS:
                self.fields[f"{channel}_{label.lower()}"] = forms.CharField(
                    label=_("Variant %(label)s on %(channel)s (optional)")
                    % {"label": label, "channel": CHANNEL_NAMES[channel]},
                    max_length=actions.X_TEXT_LIMIT if channel == "x" else 1000,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
        if keep:
            # Where the links lead is fixed once they exist: shared links must keep working.
            self.fields["target"].disabled = True
            self.fields["target"].help_text = _("Links already made keep leading here.")
            for label in keep:
                field = self.fields[f"text_{label.lower()}"]
                field.required = True
                field.label = _("Variant %(label)s: share text") % {"label": label}
                field.error_messages["required"] = _(
                    "Variant %(label)s stays: people may have shared its links. Give it a text."
                ) % {"label": label}

    def clean_target(self):
        target = self.cleaned_data["target"].strip()
        if not target and self.default_target:
            return self.default_target
        return links.clean_new_target(target)

    def groups(self) -> list[dict]:
        """The fields of each variant, for the template: its texts, then its texts per channel."""
        return [
            {
                "label": label,
                "main": [self[f"text_{label.lower()}"], self[f"sms_{label.lower()}"]],
                "channels": [self[f"{channel}_{label.lower()}"] for channel in actions.OWN_TEXT_CHANNELS],
                "open": any(self[f"{c}_{label.lower()}"].value() for c in actions.OWN_TEXT_CHANNELS)
                or any(f"{c}_{label.lower()}" in self.errors for c in actions.OWN_TEXT_CHANNELS),
            }
            for label in VARIANT_LABELS
        ]

    def _channel_texts(self, label: str) -> dict[str, str]:
        data = self.cleaned_data
        return {
            channel: (data.get(f"{channel}_{label.lower()}") or "").strip()
            for channel in actions.OWN_TEXT_CHANNELS
            if (data.get(f"{channel}_{label.lower()}") or "").strip()
        }

    def variants(self) -> list[dict]:
        data = self.cleaned_data
        found = []
        for label in VARIANT_LABELS:
            text = data.get(f"text_{label.lower()}", "").strip()
            if text:
                found.append(
                    {
                        "label": label,
                        "text": text,
                        "sms_text": data.get(f"sms_{label.lower()}", "").strip(),
                        "channel_texts": self._channel_texts(label),
                    }
                )
        return found

    def clean(self):
        data = super().clean()
        for label in VARIANT_LABELS:
            text = (data.get(f"text_{label.lower()}") or "").strip()
            own = self._channel_texts(label)
            if own and not text:
                self.add_error(
                    f"text_{label.lower()}",
                    _("Variant %(label)s has a text for a channel but no share text.") % {"label": label},
                )
                continue
            for where, problem in actions.channel_text_problems(text, own).items():
                self.add_error(f"{where}_{label.lower()}", problem)
        for label in VARIANT_LABELS[1:]:
            if data.get(f"sms_{label.lower()}") and not data.get(f"text_{label.lower()}"):
                raise ValidationError(
                    _("Variant %(label)s has an SMS text but no share text.") % {"label": label}
                )
        return data


def sms_channels():
    return Channel.objects.filter(enabled=True).exclude(kind="email").order_by("name")


class SendForm(forms.Form):
    variant = forms.ChoiceField(label=_("Variant"))
    medium = forms.ChoiceField(label=_("Send by"), choices=[("email", _("E-mail")), ("sms", _("SMS"))])
    gateway = forms.ModelChoiceField(
        label=_("SMS gateway"),
        queryset=Channel.objects.none(),
        required=False,
        help_text=_("Only for SMS."),
    )

    def __init__(self, *args, message=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = (
            [(v.label, v.label) for v in message.variants.all()] if message else []
        )
        self.fields["gateway"].queryset = sms_channels()

    def clean(self):
        data = super().clean()
        if data.get("medium") == "sms" and not data.get("gateway"):
            self.add_error("gateway", _("Choose the SMS gateway to send through."))
        return data


MODEL_CHOICES = [("last", _("the last touch")), ("first", _("the first touch"))]


def goal_choices() -> list[tuple[str, Any]]:
    return [("", _("any conversion")), *KIND_CHOICES]


class DashboardForm(forms.Form):
    model = forms.ChoiceField(label=_("Credit a conversion to"), choices=MODEL_CHOICES, required=False)
    goal = forms.ChoiceField(label=_("Compare variants on"), choices=goal_choices, required=False)

    def chosen(self) -> tuple[str, str]:
        if not self.is_valid():
            return "last", ""
        goal = self.cleaned_data.get("goal") or ""
        return self.cleaned_data.get("model") or "last", goal if goal in attribution.CONVERSION_KINDS else ""
