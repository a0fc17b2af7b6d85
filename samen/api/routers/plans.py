"""The plans API."""

from ninja import Router

router = Router(tags=["plans"])
