from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from points.models.supermarket import MAX_QUANTITY


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
