"""Sign-up, password reset and password change: plain forms, no JavaScript.

Sign-up and reset take two steps on one address: the number (a code is sent to it), then
the code with the rest. The step is named by the button pressed, so either form can be sent
again as it stands (a lost code is asked for again from the second step).
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import PasswordChangeForm, PasswordResetForm, PhoneCodeRequestForm, SignUpForm
from accounts.http import AuthenticatedHttpRequest
from accounts.phones import mask_phone, normalize_phone
from accounts.verification import Purpose, code_minutes
from core.http import client_address

SEND_STEP = "send_code"

FinalForm = TypeVar("FinalForm", SignUpForm, PasswordResetForm)


def _two_steps(
    request: HttpRequest,
    *,
    purpose: str,
    final_form_class: type[FinalForm],
    template: str,
    next_page: str = "",
) -> tuple[HttpResponse | None, FinalForm | None]:
    """Run the code step if it was asked for; return the page to show, or the final
    form (bound when it was submitted) for the caller to complete."""
    if request.method == "POST" and SEND_STEP in request.POST:
        request_form = PhoneCodeRequestForm(
            request.POST, purpose=purpose, client_address=client_address(request)
        )
        if request_form.is_valid() and request_form.send():
            phone = normalize_phone(request_form.cleaned_data["phone"])
            final = final_form_class(initial={"phone": phone})
            notice = _("验证码已发送至 %(phone)s，%(minutes)d 分钟内有效。") % {
                "phone": mask_phone(phone),
                "minutes": code_minutes(),
            }
            context = {
                "form": final,
                "step": 2,
                "notice": notice,
                "phone": phone,
                "next": next_page,
            }
            return render(request, template, context), None
        context = {"form": request_form, "step": 1, "next": next_page}
        return render(request, template, context), None
    if request.method == "POST":
        return None, final_form_class(request.POST)
    request_form = PhoneCodeRequestForm(purpose=purpose, client_address=None)
    return render(request, template, {"form": request_form, "step": 1, "next": next_page}), None


def safe_next(request: HttpRequest) -> str:
    """The ``next`` page the request carries (query string or form), if it is on this site
    (the same check as Django's sign-in); "" for anything else, an off-site address above
    all, so that a sign-up link cannot send a new user elsewhere."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else ""


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up in two steps; a ``next`` page (an order form the visitor came from) is carried
    through both and opened once the account is made."""
    template = "accounts/signup.html"
    next_page = safe_next(request)
    page, form = _two_steps(
        request,
        purpose=Purpose.SIGNUP,
        final_form_class=SignUpForm,
        template=template,
        next_page=next_page,
    )
    if page is not None or form is None:
        return page or redirect("accounts:signup")
    if form.is_valid():
        user = form.save()
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_page or "home")
    phone = normalize_phone(form.data.get("phone", ""))
    context = {"form": form, "step": 2, "phone": phone, "next": next_page}
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    template = "accounts/password_reset.html"
    page, form = _two_steps(
        request, purpose=Purpose.RESET, final_form_class=PasswordResetForm, template=template
    )
    if page is not None or form is None:
        return page or redirect("accounts:password_reset")
    if form.is_valid() and form.save() is not None:
        messages.success(request, _("密码已重置，请用新密码登录。"))
        return redirect("accounts:login")
    phone = normalize_phone(form.data.get("phone", ""))
    return render(request, template, {"form": form, "step": 2, "phone": phone})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        # The password is part of the session's hash: keep this browser signed in.
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改。"))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})
