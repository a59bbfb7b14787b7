"""The order pages' forms: placing, cancelling, rating, declining, completing, dispatching.

The placing form checks everything it can before the service is asked, so that every
error shows at once: what is missing, what is too long (as the service counts it), the
contact number and the expected time (orders.rules, which the service and the API call
too). The services stay the last word: their refusals go back beside the field they name
(``add_domain_error``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from orders import rules
from practice.models import Center

VILLAGE_REQUIRED = _("请选择服务所在的村（社区）。")
TIME_INVALID = _("请按“年-月-日 时:分”填写时间。")
# What a datetime-local box sends, and what people type where the browser has none.
TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class DomainErrorForm(forms.Form):
    def add_domain_error(self, error: DomainError, aliases: dict[str, str] | None = None) -> None:
        """Show a service's refusal beside its field, or at the top of the form."""
        field = (aliases or {}).get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class LinesField(forms.CharField):
    """Text of several lines. A browser counts a line break as one character against
    ``maxlength`` and sends two (CR LF): kept as one, the count agrees with the box's."""

    def to_python(self, value: object) -> str:
        return (super().to_python(value) or "").replace("\r\n", "\n")


class OrderPlaceForm(DomainErrorForm):
    center: forms.ModelChoiceField[Center] = forms.ModelChoiceField(
        label=_("服务所在村（社区）"),
        queryset=Center.objects.none(),
        empty_label=_("请选择"),
        error_messages={"required": VILLAGE_REQUIRED, "invalid_choice": VILLAGE_REQUIRED},
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("例如：帮忙代购降压药")}),
    )
    description = LinesField(
        label=_("需求描述"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address = forms.CharField(
        label=_("服务地址"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    contact_phone = forms.CharField(
        label=_("联系电话"),
        # The longest kept form: "0734-8888888-123456".
        max_length=20,
        help_text=_("手机或固定电话，例如 13800138000 或 0734-8888888。"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_start = forms.DateTimeField(
        label=_("期望开始时间"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=DateTimeLocalInput(),
        error_messages={"invalid": TIME_INVALID},
    )
    preferred_end = forms.DateTimeField(
        label=_("期望结束时间"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=DateTimeLocalInput(),
        error_messages={"invalid": TIME_INVALID},
    )

    def __init__(
        self, *args: Any, villages: QuerySet[Center], wish: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["center"]).queryset = villages
        if wish:
            self._word_as_wish()
        # "请填写标题。" rather than Django's "这个字段是必填项。", in the words the service
        # uses, and after a wish has renamed its fields.
        for name in ("title", "address", "contact_phone"):
            field = cast(forms.CharField, self.fields[name])
            field.error_messages.update(text_messages(field.label, field.max_length))
        description = cast(forms.CharField, self.fields["description"])
        description.error_messages.update(
            text_messages(_("心愿说明") if wish else _("需求描述"), description.max_length)
        )

    def clean_contact_phone(self) -> str:
        return rules.clean_contact_number(self.cleaned_data["contact_phone"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("preferred_start"), data.get("preferred_end")
        if start is not None or end is not None:
            try:
                rules.check_expected_window(start, end)
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data

    def _word_as_wish(self) -> None:
        """A micro-wish (微心愿) is a thing asked for, handed over whenever a donor can: the
        same fields in a wish's words, and no time window to serve in."""
        fields = self.fields
        fields["center"].label = _("所在村（社区）")
        fields["title"].label = _("心愿")
        fields["title"].widget.attrs["placeholder"] = _("例如：想要一个新书包")
        fields["description"].label = _("心愿说明（选填）")
        fields["description"].widget.attrs["placeholder"] = _(
            "例如：孩子读三年级，旧书包的背带断了。"
        )
        fields["address"].label = _("送达地址")
        del fields["preferred_start"], fields["preferred_end"]


def text_messages(label: StrOrPromise | None, max_length: int | None) -> dict[str, str]:
    """A box's "required" and "too long" in the words the services use (``_text``)."""
    return {
        "required": _("请填写%(label)s。") % {"label": label},
        "max_length": _("%(label)s不能超过 %(max)d 个字。") % {"label": label, "max": max_length},
    }


class CancelForm(DomainErrorForm):
    reason = forms.CharField(
        label=_("取消原因（可不填）"),
        required=False,
        max_length=200,
        error_messages=text_messages(_("原因"), 200),
    )


class RateForm(DomainErrorForm):
    score = forms.TypedChoiceField(
        label=_("评分"),
        choices=[(score, _("%(n)d 分") % {"n": score}) for score in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择评分。"),
            "invalid_choice": _("评分应为 1 到 5 分。"),
        },
    )
    comment = LinesField(
        label=_("评价（可不填）"),
        required=False,
        max_length=500,
        error_messages=text_messages(_("评价"), 500),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeclineForm(DomainErrorForm):
    reason = forms.CharField(
        label=_("谢绝原因"), max_length=200, error_messages=text_messages(_("原因"), 200)
    )


class CompleteForm(DomainErrorForm):
    summary = LinesField(
        label=_("服务小结"),
        max_length=1000,
        error_messages=text_messages(_("服务小结"), 1000),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    proof_code = forms.CharField(
        label=_("服务核验码（请群众出示）"),
        required=False,
        max_length=12,
        help_text=_("填写群众订单页上的 6 位核验码，时长即时认证；不填则待群众确认或干部审核。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages=text_messages(_("核验码"), 12),
    )


class DisputeForm(DomainErrorForm):
    reason = forms.CharField(
        label=_("情况说明"),
        max_length=200,
        error_messages={**text_messages(_("情况说明"), 200), "required": _("请说明情况。")},
    )


class DispatchForm(DomainErrorForm):
    """Exactly one of the two is sent: each candidate and each team has its own button."""

    volunteer = forms.IntegerField(required=False, min_value=1)
    team = forms.IntegerField(required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if bool(data.get("volunteer")) == bool(data.get("team")):
            raise forms.ValidationError(_("请选择派给一名志愿者或一支队伍。"))
        return data


class WishFulfilForm(DomainErrorForm):
    note = forms.CharField(
        label=_("说明（选填）"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("例如：书包和文具已送到家中")}),
    )
