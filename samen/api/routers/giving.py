"""The giving API."""

from ninja import Router

router = Router(tags=["giving"])
