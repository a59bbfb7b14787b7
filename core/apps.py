from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("平台运行")


class PortalAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that lets cadres in by their roles, not by is_staff."""

    # Named explicitly in INSTALLED_APPS; this app's own config stays CoreConfig.
    default = False
    default_site = "core.admin_site.PortalAdminSite"


class AxesConfig(AxesAppConfig):
    """django-axes (sign-in protection) under a Chinese name in the admin: its own app
    config has none, so the admin showed "Axes"."""

    verbose_name = _("登录保护")
