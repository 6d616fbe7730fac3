"""The HSDS page envelope every list answers, and its arithmetic."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from referral_hub.errors import InvalidParameter

T = TypeVar("T")

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


class Page(msgspec.Struct, Generic[T]):
    """`components/schemas/Page` of the HSDS 3.1 OpenAPI."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[T]


class PageRequest(msgspec.Struct, frozen=True):
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_request(page: int | None, per_page: int | None, *, max_per_page: int = MAX_PER_PAGE) -> PageRequest:
    """Check paging parameters; the error names the parameter."""
    number = 1 if page is None else page
    size = DEFAULT_PER_PAGE if per_page is None else per_page
    if number < 1:
        raise InvalidParameter("page", "must be 1 or more")
    if number > 1_000_000:
        raise InvalidParameter("page", "must be at most 1000000")
    if not 1 <= size <= max_per_page:
        raise InvalidParameter("per_page", f"must be between 1 and {max_per_page}")
    return PageRequest(page=number, per_page=size)


def make_page(contents: list[T], total_items: int, request: PageRequest) -> Page[T]:
    total_pages = max(1, -(-total_items // request.per_page))
    return Page(
        total_items=total_items,
        total_pages=total_pages,
        page_number=request.page,
        size=len(contents),
        first_page=request.page == 1,
        last_page=request.page >= total_pages,
        empty=len(contents) == 0,
        contents=contents,
    )
