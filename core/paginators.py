"""Page numbers without an exact count of a city-sized table.

Django's admin asks its paginator for ``count`` on every list page: at city scale an exact
COUNT of a county's volunteers or of the city's accounts costs more than the page itself.
``CappedCountPaginator`` counts at most ``cap + 1`` rows (a sliced subquery the database
stops reading after that many), so the admin can say "超过 N" and link only to pages
within the cap, whose offsets stay cheap.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator

DEFAULT_CAP = 1000


class CappedCountPaginator(Paginator):
    cap = DEFAULT_CAP

    @cached_property
    def count(self) -> int:
        object_list: Any = self.object_list
        if hasattr(object_list, "query"):
            # Without the list's ordering: counting needs no sort, and a sort would read
            # every match before the LIMIT.
            return object_list.order_by()[: self.cap + 1].count()
        return min(len(object_list), self.cap + 1)

    @property
    def is_capped(self) -> bool:
        """More rows than the cap: the list shows "超过 cap", not a number."""
        return self.count > self.cap
