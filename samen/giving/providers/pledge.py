"""A pledge: a promise to pay, outside Samen. The initiative's owner marks it paid."""

from django.utils.translation import gettext_lazy as _

from . import Provider, Started, register


@register("pledge")
class Pledge(Provider):
    label = _("Pledge (pay the initiative directly)")
    online = False

    def start(self, donation, *, return_url, webhook_url):
        return Started(redirect_url=None, provider_ref=f"pledge-{donation.public_id}")

    def refund(self, donation) -> None:
        # Nothing moved through us: the owner returned the money by hand and records it here.
        return None
