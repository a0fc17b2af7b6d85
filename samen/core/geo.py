"""Places: a name plus optional coordinates, validated once for every model that has one."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

latitude_validators = [
    MinValueValidator(Decimal("-90"), message=_("Latitude must be between -90 and 90.")),
    MaxValueValidator(Decimal("90"), message=_("Latitude must be between -90 and 90.")),
]
longitude_validators = [
    MinValueValidator(Decimal("-180"), message=_("Longitude must be between -180 and 180.")),
    MaxValueValidator(Decimal("180"), message=_("Longitude must be between -180 and 180.")),
]


class Place(models.Model):
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=latitude_validators
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=longitude_validators
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None
