from django.contrib import admin
from django.urls import include, path

from core.views import health
from practice.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("volunteer/", include("volunteers.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("healthz/", health, name="health"),
]
