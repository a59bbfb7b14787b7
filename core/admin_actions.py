"""Admin "reject" actions that ask for a reason first (orders, volunteer applications): one
form, one intermediate page, with the texts that differ given by the action. What rejecting
means stays in each ModelAdmin, since it is its own service's call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class RejectReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("驳回原因"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": _("请填写驳回原因。")},
    )


def reject_with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    reject: Callable[[str], None],
    rows: Iterable[tuple[int, str]],
    action_name: str,
    title: StrOrPromise,
    intro: StrOrPromise,
    reason_help: StrOrPromise,
) -> TemplateResponse | None:
    """The action ``action_name`` in two passes. First, a page listing the selected
    ``rows`` (id, label) and asking for the reason; its POST comes back to the action with
    ``confirm`` and the same selection, and then ``reject`` is called with the reason and
    None returned (back to the list, where ``reject`` left its messages). A missing or too
    long reason shows the page again with the error."""
    if "confirm" in request.POST:
        form = RejectReasonForm(request.POST)
        if form.is_valid():
            reject(form.cleaned_data["reason"])
            return None
    else:
        form = RejectReasonForm()
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "rows": list(rows),
        "form": form,
        "intro": intro,
        "reason_help": reason_help,
        "body_class": action_name.replace("_", "-"),
        "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "changelist_url": reverse(
            f"admin:{opts.app_label}_{opts.model_name}_changelist",
            current_app=model_admin.admin_site.name,
        ),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/reject_with_reason.html", context)


def each_through_service(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    rows: list[Any],
    call: Callable[[Any], object],
    done_message: str,
) -> None:
    """Run ``call`` for each selected row, reporting each refusal by the service beside
    the row it concerns and the count of the others."""
    done = 0
    for row in rows:
        try:
            call(row)
        except DomainError as exc:
            model_admin.message_user(
                request,
                gettext("%(row)s：%(message)s") % {"row": row, "message": exc.message},
                messages.ERROR,
            )
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
