"""The portal's URLs plus /bench/bare-orders/: the 20 newest orders through the list's own
serializer, with no authentication, no scope and no pagination. What a list of 20 rows
costs in DRF at the least, to set the scoped list beside."""

from django.urls import include, path
from rest_framework import generics
from rest_framework.permissions import AllowAny

from orders.models import Order
from orders.serializers import OrderSerializer


class BareOrderList(generics.ListAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    pagination_class = None
    serializer_class = OrderSerializer

    def get_queryset(self):
        return Order.objects.select_related("service", "center").order_by("-id")[:20]


urlpatterns = [
    path("bench/bare-orders/", BareOrderList.as_view()),
    path("", include("config.urls")),
]
