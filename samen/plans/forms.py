from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from samen.core.forms import TagListField
from samen.core.moments import sane_date
from samen.people.models import Member

from .importing import MAX_SOURCE_CHARS
from .models import REACTION_MAX_CHARS, SECTION_MAX_CHARS, Reaction

MARKDOWN_FILE_MAX_BYTES = MAX_SOURCE_CHARS * 2


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's ValidationError beside the fields it names (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def team_choices(initiative):
    return Member.objects.filter(team_roles__initiative=initiative).order_by("name", "email")


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=SECTION_MAX_CHARS,
        help_text=_("You can use Markdown."),
    )
    markdown = forms.CharField(
        label=_("Import the plan from Markdown"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=MAX_SOURCE_CHARS,
        help_text=_(
            "Paste your plan: every heading (#, ##, ###) becomes a section, nested as the headings are. "
            "A line “Expertise wanted: finance, law” under a heading sets the skills that section needs."
        ),
    )
    markdown_file = forms.FileField(
        label=_("Or upload a Markdown file"), required=False, help_text=_("A .md or .txt file.")
    )
    answer_days = forms.IntegerField(
        label=_("Days to answer a reaction"), min_value=1, max_value=60, initial=3
    )

    def clean(self):
        data = super().clean()
        upload = data.get("markdown_file")
        if upload:
            if upload.size > MARKDOWN_FILE_MAX_BYTES:
                raise ValidationError({"markdown_file": _("This file is too large.")})
            try:
                data["markdown"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValidationError({"markdown_file": _("This file is not UTF-8 text.")}) from exc
        return data


class SectionForm(forms.Form):
    heading = forms.CharField(label=_("Heading"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("You can use Markdown."),
    )
    expertise = TagListField(label=_("Expertise wanted"), help_text=_("Skills, separated with commas."))
    owner = forms.ModelChoiceField(
        label=_("Owner on the team"),
        queryset=Member.objects.none(),
        required=False,
        empty_label=_("The team, in turn"),
        help_text=_("Answers the reactions on this section."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, initiative, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_choices(initiative)


class ReactionForm(forms.Form):
    body = forms.CharField(
        label=_("Your reaction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REACTION_MAX_CHARS}),
        help_text=_("At most %(max)s characters.") % {"max": f"{REACTION_MAX_CHARS:,}"},
        strip=True,
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AnswerForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect,
        choices=[
            (Reaction.State.ANSWERED, _("Answered")),
            (Reaction.State.ADOPTED, _("Adopted: we use it in the plan")),
            (Reaction.State.DECLINED, _("Declined, with the reason")),
        ],
        initial=Reaction.State.ANSWERED,
    )
    answer = forms.CharField(
        label=_("Answer text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The reactor gets it by e-mail and sees it under their reaction."),
    )


class DueForm(forms.Form):
    due = forms.DateTimeField(
        label=_("Answer due"),
        validators=[sane_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Member.objects.none())

    def __init__(self, *args, initiative, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_choices(initiative)


class SuggestionForm(forms.Form):
    body = forms.CharField(
        label=_("Your text for this section"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=SECTION_MAX_CHARS,
        help_text=_("You can use Markdown. The team accepts or rejects it."),
    )
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=300)
    choices = forms.CharField(
        label=_("Choices (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Leave empty for a free answer."),
    )
    answers_public = forms.BooleanField(
        label=_("Show the answers and the results to everyone"),
        required=False,
        initial=True,
        help_text=_("Otherwise only the team sees them; each person sees their own answer."),
    )


class AnswerQuestionForm(forms.Form):
    choice = forms.TypedChoiceField(
        label=_("Your answer"), coerce=int, widget=forms.RadioSelect, required=False
    )
    text = forms.CharField(
        label=_("Your answer"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, question, **kwargs):
        super().__init__(*args, **kwargs)
        if question.choices:
            self.fields["choice"].choices = list(enumerate(question.choices))
            self.fields["text"].label = _("Comment (optional)")
        else:
            del self.fields["choice"]
