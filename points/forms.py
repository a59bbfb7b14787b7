"""The forms of the points pages: an objection to a star in its notice; and the
certificate pages' period, and for a cadre whose it is and in whose name. The rules
themselves are the services' (points.services.stars, points.services.certificates); a form
only reads its input and shows a refusal beside its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from points.models.supermarket import MAX_QUANTITY


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


class OfflineClaimForm(forms.Form):
    """补录: service done off the platform, for a cadre to approve."""

    served_on = forms.DateField(
        label=_("服务日期"),
        widget=DateInput(),
        error_messages={"required": _("请填写服务日期。"), "invalid": _("请填写有效的日期。")},
    )
    hours = forms.DecimalField(
        label=_("服务时长（小时）"),
        max_digits=4,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "24"}),
        error_messages={
            "required": _("请填写服务时长。"),
            "invalid": _("请填写数字。"),
            "max_digits": _("时长应大于 0 且不超过 24 小时。"),
            "max_decimal_places": _("时长最多保留两位小数。"),
            "max_whole_digits": _("时长应大于 0 且不超过 24 小时。"),
        },
    )
    description = forms.CharField(
        label=_("服务内容"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": "500"}),
        help_text=_("写明在哪里、为谁做了什么，便于干部核实。"),
        error_messages={
            "required": _("请说明服务内容。"),
            "max_length": _("说明最多 500 个字。"),
        },
    )

    def add_domain_error(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class RedeemForm(forms.Form):
    """One item's redeem form on the supermarket page. The bounds are checked again by the
    service (points.services.supermarket), which alone decides."""

    item = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("请选择要兑换的商品。"),
            "invalid": _("请选择要兑换的商品。"),
            "min_value": _("请选择要兑换的商品。"),
        },
    )
    quantity = forms.IntegerField(
        label=_("数量"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={
            "required": _("请填写兑换数量。"),
            "invalid": _("兑换数量应为整数。"),
            "min_value": _("兑换数量至少为 1 件。"),
            "max_value": _("每次最多兑换 %(limit_value)s 件。"),
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
