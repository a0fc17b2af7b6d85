"""The volunteering API."""

from ninja import Router

router = Router(tags=["volunteering"])
