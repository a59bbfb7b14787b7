from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phones import normalize_phone
from accounts.services import resident_register
from core.errors import DomainError


class PhoneAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "tel"}
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("手机号或密码不正确。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # AuthenticationForm caps the field at the model's 11 characters, which would stop a
        # browser from taking "+86 138 0013 8000"; the number is normalised in clean.
        self.fields["username"].max_length = 20
        self.fields["username"].widget.attrs["maxlength"] = "20"

    def clean_username(self) -> str:
        # Normalised before authenticate(), so "138 0013 8000" and "13800138000" are one
        # account for the lockout counter as well.
        return normalize_phone(self.cleaned_data["username"])


class AdminLoginForm(PhoneAuthenticationForm):
    """The admin's sign-in: cadres enter by their roles, not by Django's is_staff flag,
    which Django's own admin login form insists on."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        from practice.scoping import is_cadre

        if not (user.is_superuser or is_cadre(user)):
            raise forms.ValidationError(
                _("该账号没有管理后台的权限，请使用干部账号登录。"), code="not_cadre"
            )


class SignUpForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    name = forms.CharField(label=_("真实姓名"), max_length=50)
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，不能全是数字，不能过于常见。"),
    )
    password_again = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return cleaned

    def save(self) -> User | None:
        """Register the resident, or put the service's refusal on the form and return None."""
        try:
            return resident_register(
                phone=self.cleaned_data["phone"],
                name=self.cleaned_data["name"],
                password=self.cleaned_data["password"],
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None
