from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# A page past the last one is empty; one past this number is 404: no list reaches it, and its offset
# would not fit the databases' integers (page numbers near 2^63 crashed SQLite).
MAX_PAGE = 1_000_000


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
        if pagination.page > MAX_PAGE:
            raise Http404
        count = queryset.count()
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, -(-count // pagination.page_size)),
        }
