from django import forms
from django.utils.translation import gettext_lazy as _


class TagListField(forms.CharField):
    """A list of short tags typed as comma-separated text (for example skills: "translation, Dutch")."""

    def __init__(self, *, max_tags: int = 30, max_length_each: int = 50, **kwargs):
        self.max_tags = max_tags
        self.max_length_each = max_length_each
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate with commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        tags, seen = [], set()
        for raw in text.split(","):
            tag = " ".join(raw.split())
            if tag and tag.lower() not in seen:
                seen.add(tag.lower())
                tags.append(tag)
        if len(tags) > self.max_tags:
            raise forms.ValidationError(_("At most %(n)d items.") % {"n": self.max_tags})
        for tag in tags:
            if len(tag) > self.max_length_each:
                raise forms.ValidationError(
                    _("“%(tag)s” is too long: at most %(n)d characters.")
                    % {"tag": tag[:20], "n": self.max_length_each}
                )
        return tags
