from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phones import normalize_phone, validate_mainland_mobile
from accounts.services import (
    password_change,
    password_reset_with_code,
    resident_register_with_code,
)
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
        username = cast(forms.CharField, self.fields["username"])
        username.max_length = 20
        username.widget.attrs["maxlength"] = "20"

    def clean_username(self) -> str:
        # Normalised before authenticate(), so "138 0013 8000" and "13800138000" are one
        # account for the lockout counter as well.
        return normalize_phone(self.cleaned_data["username"])


def _phone_field() -> forms.CharField:
    return forms.CharField(
        label=_("手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


def _code_field() -> forms.CharField:
    return forms.CharField(
        label=_("短信验证码"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
        help_text=_("6 位数字，10 分钟内有效。"),
    )


def _new_password_fields() -> tuple[forms.CharField, forms.CharField]:
    return (
        forms.CharField(
            label=_("密码"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=_("至少 8 位，不能全是数字，不能过于常见。"),
        ),
        forms.CharField(
            label=_("再次输入密码"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )


class _ServiceForm(forms.Form):
    def clean_phone(self) -> str:
        # Checked here too, not only by the service, so that a mistyped number is named
        # beside its field together with whatever else is missing.
        phone = normalize_phone(self.cleaned_data["phone"])
        try:
            validate_mainland_mobile(phone)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc
        return phone

    def refuse(self, exc: DomainError) -> None:
        """Put the service's refusal on the form, beside its field when there is one."""
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class _PasswordsMatch(_ServiceForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return cleaned


class PhoneCodeRequestForm(_ServiceForm):
    """The first step of sign-up and of a reset: the number the code goes to."""

    phone = _phone_field()

    def __init__(self, *args: Any, purpose: str, client_address: str | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.purpose = purpose
        self.client_address = client_address
        self.fields["phone"].widget.attrs["autofocus"] = True

    def send(self) -> bool:
        from accounts.verification import verification_code_send

        try:
            verification_code_send(
                phone=self.cleaned_data["phone"],
                purpose=self.purpose,
                client_address=self.client_address,
            )
        except DomainError as exc:
            self.refuse(exc)
            return False
        return True


class SignUpForm(_PasswordsMatch):
    phone = _phone_field()
    code = _code_field()
    name = forms.CharField(label=_("真实姓名"), max_length=50)
    password, password_again = _new_password_fields()

    def save(self) -> User | None:
        """Register the resident, or put the service's refusal on the form and return None."""
        try:
            return resident_register_with_code(
                phone=self.cleaned_data["phone"],
                name=self.cleaned_data["name"],
                password=self.cleaned_data["password"],
                code=self.cleaned_data["code"],
            )
        except DomainError as exc:
            self.refuse(exc)
            return None


class PasswordResetForm(_PasswordsMatch):
    phone = _phone_field()
    code = _code_field()
    password, password_again = _new_password_fields()

    def save(self) -> User | None:
        try:
            return password_reset_with_code(
                phone=self.cleaned_data["phone"],
                code=self.cleaned_data["code"],
                password=self.cleaned_data["password"],
            )
        except DomainError as exc:
            self.refuse(exc)
            return None


class PasswordChangeForm(_PasswordsMatch):
    old_password = forms.CharField(
        label=_("原密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    password, password_again = _new_password_fields()

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["password"].label = _("新密码")
        self.fields["password_again"].label = _("再次输入新密码")

    def save(self) -> User | None:
        try:
            return password_change(
                user=self.user,
                old_password=self.cleaned_data["old_password"],
                new_password=self.cleaned_data["password"],
            )
        except DomainError as exc:
            self.refuse(exc)
            return None
