from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin

from accounts.models import User
from accounts.phones import normalize_phone
from accounts.search import PersonSearch
from practice.admin_lists import CityScaleList
from practice.admin_scoping import ScopedAdmin, ServiceValidatedForm, admin_actor
from practice.models import CadreRole, Center, Service
from practice.scoping import visible_centers
from practice.services import (
    cadre_role_grant,
    cadre_role_revoke,
    cadre_role_validate,
    center_delete,
    center_save,
    center_validate,
    service_delete,
    service_save,
    service_validate,
)


class CenterAdminForm(ServiceValidatedForm):
    class Meta:
        model = Center
        fields = [
            "parent",
            "name",
            "code",
            "kind",
            "address",
            "latitude",
            "longitude",
            "contact_phone",
            "is_active",
            "auto_dispatch",
        ]

    def validate_with_service(self, instance: Center) -> None:
        center_validate(actor=self.actor, center=instance)


@admin.register(Center)
class CenterAdmin(CityScaleList, ScopedAdmin, MPTTModelAdmin):
    scope_via = ""
    form = CenterAdminForm
    list_display = ["tree_name", "code", "level", "kind", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["level"]
    list_per_page = 100
    # Django's change list rather than mptt's, which indents each row by a style attribute
    # that the Content-Security-Policy blocks: the depth is a class here, indented by
    # static/css/admin/center_tree.css (templates/admin/practice/center/change_list.html).
    change_list_template = None

    @admin.display(description=Center._meta.get_field("name").verbose_name)
    def tree_name(self, obj: Center) -> str:
        return format_html('<span class="center-depth-{}">{}</span>', obj.depth, obj.name)

    def get_readonly_fields(self, request: HttpRequest, obj: Center | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        # The top of a cadre's subtree hangs under a parent they cannot choose (the parent
        # choices stop at their scope), so the field would refuse every save; it stays where
        # it is.
        if (
            obj is not None
            and not request.user.is_superuser
            and (
                obj.parent_id is None
                or not visible_centers(request.user).filter(pk=obj.parent_id).exists()
            )
        ):
            readonly.append("parent")
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Center | None = None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None:
            return True
        if obj.get_descendant_count():
            return False
        return (
            request.user.is_superuser
            or not obj.cadre_roles.filter(user=admin_actor(request)).exists()
        )

    def save_model(self, request: HttpRequest, obj: Center, form: Any, change: bool) -> None:
        center_save(actor=admin_actor(request), center=obj)

    def delete_model(self, request: HttpRequest, obj: Center) -> None:
        center_delete(actor=admin_actor(request), center=obj)


class ServiceAdminForm(ServiceValidatedForm):
    class Meta:
        model = Service
        fields = [
            "center",
            "platform",
            "name",
            "description",
            "sort_order",
            "is_active",
            "is_wish",
            "max_hours",
        ]

    def validate_with_service(self, instance: Service) -> None:
        service_validate(actor=self.actor, service=instance)


@admin.register(Service)
class ServiceAdmin(CityScaleList, ScopedAdmin):
    form = ServiceAdminForm
    list_display = ["name", "platform", "center", "sort_order", "is_active", "is_wish"]
    list_filter = ["platform", "is_active", "is_wish"]
    list_select_related = ["center"]
    search_fields = ["name"]
    autocomplete_fields = ["center"]

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: bool) -> None:
        service_save(actor=admin_actor(request), service=obj)

    def delete_model(self, request: HttpRequest, obj: Service) -> None:
        service_delete(actor=admin_actor(request), service=obj)


class CadreRoleAdminForm(ServiceValidatedForm):
    """Appointing a cadre names the person by phone number: they sign up first, and a cadre
    of a county can appoint someone whom no center answers for yet."""

    phone = forms.CharField(label=_("手机号"), max_length=20)

    class Meta:
        model = CadreRole
        fields = ["phone", "center", "title"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The person and the center of a role are fixed once appointed; only the title is
        # edited, and a (hidden) required phone field would refuse every such save.
        if self.instance.pk is not None:
            del self.fields["phone"]

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        user = User.objects.filter(phone=phone, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有使用该手机号的有效账号，请本人先注册。"))
        self.instance.user = user
        return phone

    def validate_with_service(self, instance: CadreRole) -> None:
        cadre_role_validate(actor=self.actor, center=instance.center)


@admin.register(CadreRole)
class CadreRoleAdmin(CityScaleList, ScopedAdmin):
    form = CadreRoleAdminForm
    list_display = ["user_name", "user_phone", "center", "title"]
    list_select_related = ["user", "center"]
    search_fields = ["user__name"]
    # People are found the way every list finds them (accounts.search); the center is
    # a filter of its own through the tree, not a name to type.
    person_search = PersonSearch(name="user__name", user="user")
    autocomplete_fields = ["center"]

    @admin.display(description=_("姓名"), ordering="user__name")
    def user_name(self, role: CadreRole) -> str:
        return role.user.name

    @admin.display(description=_("手机号"), ordering="user__phone")
    def user_phone(self, role: CadreRole) -> str:
        return role.user.phone

    def get_fields(self, request: HttpRequest, obj: CadreRole | None = None) -> tuple[str, ...]:
        return ("title",) if obj else ("phone", "center", "title")

    def get_readonly_fields(self, request: HttpRequest, obj: CadreRole | None = None) -> list[str]:
        return ["user", "center"] if obj else []

    def save_model(self, request: HttpRequest, obj: CadreRole, form: Any, change: bool) -> None:
        role = cadre_role_grant(
            actor=admin_actor(request), user=obj.user, center=obj.center, title=obj.title
        )
        obj.pk = role.pk

    def delete_model(self, request: HttpRequest, obj: CadreRole) -> None:
        cadre_role_revoke(actor=admin_actor(request), role=obj)
