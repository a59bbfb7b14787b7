"""What every cadre-facing changelist of people and places shares at city scale.

A changelist runs its filters, search and sort against tables of 1.44 million volunteers
and accounts: the count is capped ("超过 N", core.paginators), the full-table count is never
taken, and a person is searched for through an index (accounts.search), never with a
substring match over every row. What a list may sort and filter by is limited, admin by
admin, to what an index serves.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import lazy

from accounts.search import PersonSearch
from core.paginators import CappedCountAdminMixin


class CityScaleList(CappedCountAdminMixin, admin.ModelAdmin):
    # Where the list keeps the person's name and account; None keeps Django's search.
    person_search: ClassVar[PersonSearch | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # On the class, where ModelAdmin declares the help text; lazy, since a class body
        # may run before the translations are ready.
        super().__init_subclass__(**kwargs)
        search = cls.person_search
        if search is not None and cls.search_help_text is None:
            cls.search_help_text = lazy(lambda: search.help_text, str)()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if self.person_search is None:
            return super().get_search_results(request, queryset, search_term)
        found, refusal = self.person_search.apply(queryset, search_term)
        if refusal:
            self.message_user(request, refusal, messages.WARNING)
        # Every lookup is on a column of the row or of a to-one relation: no duplicates,
        # so no DISTINCT (which would sort every match before the page).
        return found, False
