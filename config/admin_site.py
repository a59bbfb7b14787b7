"""The portal's admin site: cadres enter by their roles (practice), sign in by phone
(accounts), and see every app's pages. It sits in config, above all the apps it gathers."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.forms import PhoneAuthenticationForm
from accounts.models import User
from practice.scoping import is_cadre


class AdminLoginForm(PhoneAuthenticationForm):
    """The admin's sign-in: cadres enter by their roles, not by Django's is_staff flag,
    which Django's own admin login form insists on."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not (user.is_superuser or is_cadre(user)):
            raise forms.ValidationError(
                _("该账号没有管理后台的权限，请使用干部账号登录。"), code="not_cadre"
            )


class PortalAdminSite(admin.AdminSite):
    site_header = _("新时代文明实践中心管理后台")
    site_title = _("文明实践管理后台")
    index_title = _("我的辖区")
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        # A cadre's right to the admin comes from holding a role at a center; what they see
        # there is narrowed to that subtree by each ModelAdmin.
        # Asked many times per admin page (every has_*_permission): answer once per request.
        cached = getattr(request, "_portal_admin_allowed", None)
        if cached is None:
            user = request.user
            cached = bool(user.is_active and (user.is_superuser or is_cadre(user)))
            setattr(request, "_portal_admin_allowed", cached)  # noqa: B010  (not a field)
        return cached
