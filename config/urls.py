from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from core.views import health, inbox
from practice.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("volunteer/", include("volunteers.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("healthz/", health, name="health"),
    path("inbox/", inbox, name="inbox"),
    path("", include("orders.urls")),  # /orders/... and /volunteer/tasks/...
    path(
        "", include("points.urls")
    ),  # /volunteer/star-card/, /volunteer/certificates/, /stars/, /certificates/
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

# JSON in the API's error shape under /api/, the usual pages elsewhere.
handler400 = "core.handlers.bad_request"
handler404 = "core.handlers.not_found"
handler500 = "core.handlers.server_error"
