from django.contrib.admin import apps as admin_apps


class PortalAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that lets cadres in by their roles, not by is_staff."""

    # Named by a string: INSTALLED_APPS imports this module before any model is loaded.
    default_site = "config.admin_site.PortalAdminSite"
