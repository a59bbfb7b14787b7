from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from accounts import signin

        # After django-axes's own receivers (axes comes first in INSTALLED_APPS).
        user_login_failed.connect(signin.on_login_failed, dispatch_uid="accounts-guard-failed")
        user_logged_in.connect(signin.on_logged_in, dispatch_uid="accounts-guard-success")
