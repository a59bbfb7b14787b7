"""The forms of the points pages: an objection to a star in its notice; and the
certificate pages' period, and for a cadre whose it is and in whose name. The rules
themselves are the services' (points.services.stars, points.services.certificates); a form
only reads its input and shows a refusal beside its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class PeriodForm(forms.Form):
    period_start = forms.DateField(
        label=_("起始日期"),
        widget=DateInput(),
        error_messages={"required": _("请填写起始日期。"), "invalid": _("请填写有效的日期。")},
    )
    period_end = forms.DateField(
        label=_("截止日期"),
        widget=DateInput(),
        error_messages={"required": _("请填写截止日期。"), "invalid": _("请填写有效的日期。")},
    )

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal beside its field, or at the top of the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class IssueForm(PeriodForm):
    """A cadre's certificate: the volunteer by their portal number (志愿者编号) or phone,
    and the recording organisation, the volunteer's township institute or county center."""

    TOWNSHIP = "township"
    COUNTY = "county"

    volunteer = forms.CharField(
        label=_("志愿者编号或手机号"),
        max_length=20,
        help_text=_("志愿者编号如 HY000000123，或志愿者注册的 11 位手机号。"),
        error_messages={"required": _("请填写志愿者编号或手机号。")},
    )
    issuer = forms.ChoiceField(
        label=_("出具单位"),
        choices=[
            (TOWNSHIP, _("志愿者所在乡镇（街道）新时代文明实践所")),
            (COUNTY, _("志愿者所在县（市、区）新时代文明实践中心")),
        ],
        initial=TOWNSHIP,
        error_messages={"invalid_choice": _("请选择出具单位。")},
    )

    field_order: Any = ["volunteer", "period_start", "period_end", "issuer"]


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("异议理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请写明事实依据。您的身份只有处理异议的干部可见，不会告知志愿者本人。"),
        error_messages={
            "required": _("请填写异议理由。"),
            "max_length": _("异议理由最多 500 个字。"),
        },
    )


class NominationForm(forms.Form):
    """A cadre's nomination of one volunteer for a year's honour (评选表彰)."""

    reason = forms.CharField(
        label=_("推荐理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("请填写推荐理由。"),
            "max_length": _("推荐理由最多 500 个字。"),
        },
    )
