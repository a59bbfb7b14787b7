from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from practice.models import Center, Level, Platform, Service
from practice.scoping import visible_centers
from practice.selectors import platform_rank, services_offered_at


class ReferencePagination(PageNumberPagination):
    """The small reference lists carry a total count, as the API contract says."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CenterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Center
        fields = ["id", "code", "name", "level", "parent", "kind", "title", "is_active"]


class CenterFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.ModelChoiceFilter(queryset=Center.objects.all())
    code = django_filters.CharFilter()
    managed = django_filters.BooleanFilter(
        method="filter_managed", label=_("只看我管辖的阵地（干部）")
    )

    class Meta:
        model = Center
        fields = ["level", "parent", "code", "managed"]

    def filter_managed(
        self, queryset: QuerySet[Center], name: str, value: bool
    ) -> QuerySet[Center]:
        if not value:
            return queryset
        return queryset & visible_centers(self.request.user)


class CenterViewSet(viewsets.ReadOnlyModelViewSet):
    """The public center tree: any resident picks their village or community from it."""

    permission_classes = [AllowAny]
    queryset = Center.objects.filter(is_active=True).order_by("tree_id", "lft")
    serializer_class = CenterSerializer
    filterset_class = CenterFilter
    pagination_class = ReferencePagination


class ServiceSerializer(serializers.ModelSerializer):
    platform_name = serializers.CharField(source="get_platform_display", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "name", "platform", "platform_name", "description", "center"]


class ServiceFilter(django_filters.FilterSet):
    platform = django_filters.ChoiceFilter(choices=Platform.choices)
    center = django_filters.ModelChoiceFilter(
        queryset=Center.objects.filter(is_active=True),
        method="filter_offered_at",
        label=_("阵地：只列出该阵地可点的服务"),
    )

    class Meta:
        model = Service
        fields = ["platform", "center"]

    def filter_offered_at(
        self, queryset: QuerySet[Service], name: str, value: Center
    ) -> QuerySet[Service]:
        return queryset & services_offered_at(value)


class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """The service menu (服务菜单) by platform."""

    permission_classes = [AllowAny]
    queryset = Service.objects.filter(is_active=True, center__is_active=True).order_by(
        platform_rank(), "sort_order", "id"
    )
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    pagination_class = ReferencePagination
