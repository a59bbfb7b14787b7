from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("时长与积分")

    def ready(self) -> None:
        from points import checks  # noqa: F401  (registers the deploy checks)
