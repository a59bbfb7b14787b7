from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminLoginForm


class PortalAdminSite(admin.AdminSite):
    site_header = _("新时代文明实践中心管理后台")
    site_title = _("文明实践管理后台")
    index_title = _("我的辖区")
    login_form = AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        # A cadre's right to the admin comes from holding a role at a center; what they see
        # there is narrowed to that subtree by each ModelAdmin.
        from practice.scoping import is_cadre

        # Asked many times per admin page (every has_*_permission): answer once per request.
        cached = getattr(request, "_portal_admin_allowed", None)
        if cached is None:
            user = request.user
            cached = bool(user.is_active and (user.is_superuser or is_cadre(user)))
            request._portal_admin_allowed = cached
        return cached
