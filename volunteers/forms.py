"""The volunteers' own forms on the mobile web: applying, preferences, team members.

The forms only shape input; every rule and every write is the services'. A service's
refusal is put back on the form beside the field it names (see ``add_domain_error``).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.phones import normalize_phone
from core.errors import DomainError
from practice.models import Center, Platform
from volunteers.availability import DAYS, PERIODS, SLOT_CHOICES, slots_to_mask
from volunteers.identity import normalize_id_number, validate_id_number
from volunteers.models import Skill, Team, TeamMembership, Volunteer

HOME_REQUIRED = _("请选择所在的村（社区）。")


class IdNumberInput(forms.TextInput):
    """A text box that never writes the ID number back into the page.

    A form sent back with an error would otherwise carry the number in clear in its HTML,
    where browsers cache it and shared phones show it to the next person.
    """

    def format_value(self, value: Any) -> None:
        return None


class PreferencesForm(forms.Form):
    """What a volunteer can do and when: shared by the application and the later edits."""

    skills = forms.ModelMultipleChoiceField(
        label=_("技能特长"),
        queryset=Skill.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("所选技能不存在或已停用。")},
    )
    platforms = forms.MultipleChoiceField(
        label=_("意向服务平台"),
        choices=Platform.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("未知的服务平台。")},
    )
    availability = forms.MultipleChoiceField(
        label=_("每周可服务时段"),
        choices=SLOT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("可服务时段无效。")},
    )

    def clean_availability(self) -> int:
        return slots_to_mask(self.cleaned_data["availability"])

    def add_domain_error(self, error: DomainError, aliases: dict[str, str] | None = None) -> None:
        """Show a service's refusal beside its field, or at the top of the form."""
        field = (aliases or {}).get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)

    def slot_grid(self) -> list[dict[str, Any]]:
        """The availability checkboxes as rows of days and columns of periods, for a grid
        that fits a phone; ``checked`` follows what was submitted or stored."""
        field = self["availability"]
        if self.is_bound:
            # Bound to the request's QueryDict, whatever the stubs' Mapping says.
            chosen = set(self.data.getlist(field.html_name))  # type: ignore[attr-defined]
        else:
            chosen = set(field.initial or [])
        cells = [
            {"code": code, "label": label, "checked": code in chosen}
            for code, label in SLOT_CHOICES
        ]
        width = len(PERIODS)
        return [
            {"day": day_label, "cells": cells[index * width : (index + 1) * width]}
            for index, (_day, day_label) in enumerate(DAYS)
        ]

    @staticmethod
    def slot_periods() -> list[str]:
        return [str(label) for _period, label, _start, _end in PERIODS]


class ApplicationForm(PreferencesForm):
    real_name = forms.CharField(
        label=_("真实姓名"),
        max_length=50,
        error_messages={
            "required": _("请填写真实姓名。"),
            "max_length": _("姓名不能超过 50 个字。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # Longer than 18 so that people can type it with spaces; the service normalises.
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=30,
        error_messages={
            "required": _("请填写身份证号码。"),
            "max_length": _("身份证号码应为 18 位。"),
        },
        help_text=_(
            "18 位第二代居民身份证号码，加密保存，仅显示首尾各 4 位；提交出错时需重新填写。"
        ),
        widget=IdNumberInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    home_center: forms.ModelChoiceField[Center] = forms.ModelChoiceField(
        label=_("所在村（社区）"),
        queryset=Center.objects.none(),
        empty_label=_("请选择"),
        error_messages={"required": HOME_REQUIRED, "invalid_choice": HOME_REQUIRED},
    )
    is_party_member = forms.BooleanField(label=_("中共党员"), required=False)

    field_order = [
        "real_name",
        "id_number",
        "home_center",
        "skills",
        "platforms",
        "availability",
        "is_party_member",
    ]

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the villages of the township chosen in the earlier steps can be picked.
        cast(forms.ModelChoiceField, self.fields["home_center"]).queryset = villages

    def clean_id_number(self) -> str:
        """Checked here too, not only by the service, so that a mistyped number is named
        beside its box together with whatever else is missing."""
        id_number = normalize_id_number(self.cleaned_data["id_number"])
        validate_id_number(id_number)
        return id_number


class MemberAddForm(forms.Form):
    phone = forms.CharField(
        label=_("志愿者手机号"),
        max_length=20,
        error_messages={"required": _("请填写志愿者的手机号。")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("队内职务"),
        choices=TeamMembership.Role.choices,
        initial=TeamMembership.Role.MEMBER,
        error_messages={"invalid_choice": _("队内职务无效。")},
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_phone(self) -> Volunteer:
        """The active volunteer of the team's center subtree with this phone number.

        A leader is not a cadre and sees no volunteer list; the one answer "not found" for
        a number that is unknown, not active or outside the team's area tells them nothing
        about people elsewhere.
        """
        center = self.team.center
        volunteer = (
            Volunteer.objects.select_related("user")
            .filter(
                user__phone=normalize_phone(self.cleaned_data["phone"]),
                status=Volunteer.Status.ACTIVE,
                home_center__tree_id=center.tree_id,
                home_center__lft__gte=center.lft,
                home_center__rght__lte=center.rght,
            )
            .first()
        )
        if volunteer is None:
            raise forms.ValidationError(
                _("本队所在阵地范围内没有使用该手机号的在册志愿者。"), code="not_found"
            )
        return volunteer
