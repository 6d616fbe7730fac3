"""Page envelope arithmetic holds for every page size and total."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_hub.errors import InvalidParameter
from referral_hub.pagination import MAX_PER_PAGE, make_page, page_request


@given(total=st.integers(0, 10_000), per_page=st.integers(1, MAX_PER_PAGE), data=st.data())
def test_pages_cover_every_item_exactly_once(total: int, per_page: int, data: st.DataObject) -> None:
    first = page_request(1, per_page)
    pages = make_page([], total, first).total_pages
    page = data.draw(st.integers(1, pages + 1))
    request = page_request(page, per_page)
    items = list(range(total))[request.offset : request.offset + request.per_page]
    result = make_page(items, total, request)
    assert result.total_pages == max(1, -(-total // per_page))
    assert result.size == len(items) <= per_page
    assert result.first_page == (page == 1)
    assert result.last_page == (page >= result.total_pages)
    assert result.empty == (len(items) == 0)
    if page <= pages and total:
        assert items, "a page up to total_pages is never empty when there are items"
        assert items[0] == (page - 1) * per_page


@pytest.mark.parametrize(
    ("page", "per_page", "parameter"),
    [(0, 10, "page"), (-1, 10, "page"), (1, 0, "per_page"), (1, 101, "per_page"), (1, 10_000, "per_page")],
)
def test_bad_paging_names_the_parameter(page: int, per_page: int, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        page_request(page, per_page)
    assert caught.value.name == parameter
