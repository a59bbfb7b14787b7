from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("平台运行")


class AxesConfig(AxesAppConfig):
    """django-axes (sign-in protection) under a Chinese name in the admin: its own app
    config has none, so the admin showed "Axes"."""

    verbose_name = _("登录保护")
