from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import (
    PasswordResetApi,
    RegisterApi,
    TokenObtainApi,
    VerificationCodeApi,
)
from orders.api import OrderViewSet
from points.api import LedgerApi
from points.me_api import MeApi
from practice.api import CenterViewSet, ServiceViewSet
from volunteers.api import TeamViewSet, VolunteerViewSet

router = DefaultRouter()
router.register("centers", CenterViewSet, basename="center")
router.register("services", ServiceViewSet, basename="service")
router.register("volunteers", VolunteerViewSet, basename="volunteer")
router.register("teams", TeamViewSet, basename="team")
router.register("orders", OrderViewSet, basename="order")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token"),
    path("accounts/register/", RegisterApi.as_view(), name="register"),
    path("accounts/verification-codes/", VerificationCodeApi.as_view(), name="verification_codes"),
    path("accounts/password-reset/", PasswordResetApi.as_view(), name="password_reset"),
    path("me/", MeApi.as_view(), name="me"),
    path("points/ledger/", LedgerApi.as_view(), name="points_ledger"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file of its own (?script), and
    # our template takes its inline <style> out to a static file: both under the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
