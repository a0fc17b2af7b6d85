from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class Pagination(PaginationBase):
    """Page numbers, with the total so that a client knows when to stop.

    Two queries per page whatever the size of the table: one COUNT and one slice.
    """

    class Input(Schema):
        page: int = Field(1, ge=1, description=gettext_noop("Page number, from 1."))
        page_size: int = Field(
            DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=gettext_noop("Items per page.")
        )

    class Output(Schema):
        items: list
        count: int = Field(description="Items on all pages together.")
        page: int
        page_size: int
        pages: int

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params):
        count = queryset.count()
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, -(-count // pagination.page_size)),
        }
