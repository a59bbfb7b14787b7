"""What every cadre-facing ModelAdmin shares: the subtree scope and the service layer.

The admin is one more interface over the services: its querysets come from the one scoping
function, its foreign-key choices stop at the cadre's subtree, anything outside it answers
404, and its forms ask the service to validate and save, so the admin cannot write what the
API would refuse.
"""

from __future__ import annotations

from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse

from accounts.http import account_of
from accounts.models import User
from core.errors import DomainError, NotInScope
from practice.models import Center
from practice.scoping import manages_whole_tree, scope_queryset, visible_centers


def _ids_only(form: forms.BaseForm, data: Any) -> Any:
    """The posted data with every choice of a related row that is not an id emptied.

    An autocomplete widget looks its bound value up to draw the form again, and a value
    that is not a number would make that lookup a server error; emptied, the field says
    it is required (or that the choice is invalid) like any other bad choice."""
    bad = [
        form.add_prefix(name)
        for name, field in form.fields.items()
        if isinstance(field, forms.ModelChoiceField)
        and not isinstance(field, forms.ModelMultipleChoiceField)
        and not _is_id(data.get(form.add_prefix(name)))
    ]
    if not bad:
        return data
    cleaned = QueryDict(mutable=True)
    cleaned.update(data)
    for key in bad:
        cleaned[key] = ""
    return cleaned


def _is_id(raw: object) -> bool:
    return raw in (None, "") or (isinstance(raw, str) and raw.isascii() and raw.isdigit())


class ServiceValidatedForm(forms.ModelForm):
    """A ModelForm that lets a service judge the instance it is about to save and shows a
    refusal next to the field it concerns."""

    actor: ClassVar[Any] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = _ids_only(self, self.data)

    # Any: each form judges its own model (a Center, a Service, a Team...).
    def validate_with_service(self, instance: Any) -> None:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # Django's own hook after the model's validation; the stubs do not declare it.
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            self.validate_with_service(self.instance)
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows are those of the cadre's subtree.

    ``scope_via`` is the lookup from the model to its Center ("" for Center itself).
    """

    scope_via: ClassVar[str] = "center"

    def _is_admin_user(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin_user(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin_user(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_admin_user(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin_user(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin_user(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_queryset(super().get_queryset(request), request.user, via=self.scope_via)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Django's admin redirects to the index for a missing object; out of scope must be
        # indistinguishable from absent, and both answer 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The delete service may refuse (a cadre's own role, a center still in use): show its
        # message on the object's page instead of a server error.
        try:
            return super().delete_view(request, object_id, extra_context)
        except NotInScope as exc:
            raise Http404 from exc
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(object_id)],
                    current_app=self.admin_site.name,
                )
            )

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        # Actions get the selected ids narrowed to the changelist's rows; an id that is not
        # one of them was not on the cadre's page, so the request answers 404 (as absent),
        # and an id that is not a number is not a server error.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if any(not pk.isascii() or not pk.isdigit() for pk in selected):
            raise Http404
        wanted = {int(pk) for pk in selected}
        if wanted and self.get_queryset(request).filter(pk__in=wanted).count() != len(wanted):
            raise Http404
        return super().response_action(request, queryset)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete deletes through the queryset, around the services.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.related_model is Center:
            kwargs["queryset"] = visible_centers(request.user).order_by("tree_id", "lft")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if issubclass(form, ServiceValidatedForm):
            form = type(form.__name__, (form,), {"actor": request.user})
        return form


def admin_actor(request: HttpRequest) -> User:
    """The account behind an admin request: the admin site lets only signed-in cadres and
    superusers reach a ModelAdmin (config.admin_site), which the request's type cannot say.
    Should an anonymous request get here all the same, it is refused, not handed on."""
    account = account_of(request.user)
    if account is None:
        raise PermissionDenied
    return account


class ReadOnlyScopedAdmin(ScopedAdmin):
    """A ScopedAdmin that shows its rows and changes none: they are written elsewhere, by
    the services (a ledger, a timeline, an order's workflow, a roster import), and an edit
    or a deletion here would go around them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_MANAGES_WHOLE_TREE: WeakKeyDictionary[HttpRequest, bool] = WeakKeyDictionary()


def admin_manages_whole_tree(request: HttpRequest) -> bool:
    """Whether the admin request's user is a cadre of the city (or a superuser): the one
    who keeps the city-wide lists (skills, points rules). Asked once per request, however
    many admins ask it for the sidebar and the index."""
    cached = _MANAGES_WHOLE_TREE.get(request)
    if cached is None:
        cached = _MANAGES_WHOLE_TREE[request] = manages_whole_tree(request.user)
    return cached
