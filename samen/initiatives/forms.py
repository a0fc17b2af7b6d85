from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from samen.core.causes import CAUSES
from samen.core.images import ALLOWED_FORMATS, reencode_image
from samen.people.models import Member

from .models import Initiative, TeamMember, Update

IMAGE_ACCEPT = ",".join(sorted({f"image/{fmt.lower()}" for fmt in ALLOWED_FORMATS}))


class ListFilterForm(forms.Form):
    """The listing's search box and filters. Invalid values are reported and that filter ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    cause = forms.ChoiceField(label=_("Cause"), required=False, choices=[("", _("All causes")), *CAUSES])
    place = forms.CharField(label=_("Place"), required=False, max_length=100)
    # Drafts are never listed, so they are not a choice here.
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Open and closed")),
            (Initiative.Status.OPEN, _("Open")),
            (Initiative.Status.CLOSED, _("Closed")),
        ],
    )


class InitiativeForm(forms.ModelForm):
    causes = forms.MultipleChoiceField(
        label=_("Causes"), choices=CAUSES, required=False, widget=forms.CheckboxSelectMultiple
    )
    # A plain file field: reencode_image() is the one place that decides what an acceptable image is.
    image = forms.FileField(
        label=_("Image"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF. We remove location and camera data from it."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    class Meta:
        model = Initiative
        fields = ["title", "summary", "story", "causes", "place_name", "latitude", "longitude", "image"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2})}

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give your initiative a title."), code="required")
        return title

    def clean_image(self):
        image = self.cleaned_data.get("image")
        # False means "clear"; the unchanged current file has no content_type. Only new uploads are checked.
        if not image or not hasattr(image, "content_type"):
            return image
        return reencode_image(image)


class CreateInitiativeForm(InitiativeForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Initiative.Status.OPEN, _("Open: everyone can see it")),
            (Initiative.Status.DRAFT, _("Draft: only the team can see it")),
        ],
        initial=Initiative.Status.OPEN,
    )

    class Meta(InitiativeForm.Meta):
        fields = [*InitiativeForm.Meta.fields, "status"]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Initiative.Status.choices)


class AddTeamMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of a Samen member"))
    role = forms.ChoiceField(label=_("Role"), choices=TeamMember.Role.choices, initial=TeamMember.Role.TEAM)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        member = Member.objects.filter(email__iexact=email, is_active=True).first()
        if member is None:
            raise ValidationError(
                _("No member has this e-mail address. Ask them to sign up first."), code="unknown_member"
            )
        self.member = member
        return email


class UpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["title", "body"]

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give your update a title."), code="required")
        return title
