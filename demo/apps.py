from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo's seed data (seed_demo): it draws on every app, so it belongs to none."""

    name = "demo"
    verbose_name = _("演示数据")
