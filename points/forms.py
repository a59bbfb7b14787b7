from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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
