"""Every write to centers, the service menu and cadre roles."""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import account_ensure
from core.errors import DomainError, NotInScope, clean_or_refuse
from practice.ancestry import refresh_copied_ancestors
from practice.errors import PracticeErrorCode
from practice.models import DEFAULT_KIND, LEVEL_AT_DEPTH, CadreRole, Center, Kind, Level, Service
from practice.scoping import center_in_scope


def _require_in_scope(actor: User | None, center: Center | None) -> None:
    """``actor`` None is the system itself (management commands, seed data)."""
    if actor is None:
        return
    if center is None or not center_in_scope(actor, center):
        raise NotInScope(
            _("阵地不存在或不在您的管辖范围内。"), code=PracticeErrorCode.CENTER_NOT_IN_SCOPE
        )


def level_under(parent: Center | None, kind: str) -> str:
    """The level a center takes from its place in the tree.

    The four official tiers nest strictly; a base may also hang under a village-level
    station, where it serves that village and so counts as village level.
    """
    if parent is None:
        return Level.CITY
    if parent.level == Level.VILLAGE:
        if kind != Kind.BASE or parent.kind == Kind.BASE:
            raise DomainError(
                _("村（社区）级阵地之下只能设立实践基地。"),
                code=PracticeErrorCode.TOO_DEEP,
                field="parent",
            )
        return Level.VILLAGE
    return LEVEL_AT_DEPTH[parent.get_level() + 1]


def center_validate(*, actor: User | None, center: Center) -> None:
    """Everything ``center_save`` checks, without writing: forms call it to show the
    refusal beside the field.

    The level follows from the parent. A center may move only under another parent of the
    same level, so that its whole subtree keeps its levels; and never out of the actor's
    scope, which also keeps a cadre from moving the center their own role sits at.
    """
    if center.pk is not None:
        original = Center.objects.select_related("parent").get(pk=center.pk)
        _require_in_scope(actor, original)
        if original.parent_id != center.parent_id:
            if original.parent_id is None or center.parent is None:
                raise DomainError(
                    _("不能改变市级中心的位置。"), code=PracticeErrorCode.MOVE_ROOT, field="parent"
                )
            if original.parent.level != center.parent.level:
                raise DomainError(
                    _("只能移到同一层级的其他上级阵地之下。"),
                    code=PracticeErrorCode.MOVE_LEVEL,
                    field="parent",
                )
    parent_changed = center.pk is None or original.parent_id != center.parent_id
    if center.parent is None:
        if center.pk is None and actor is not None and not actor.is_superuser:
            raise NotInScope(
                _("只有系统管理员可以设立市级中心。"), code=PracticeErrorCode.ROOT_FORBIDDEN
            )
    elif parent_changed:
        # An unchanged parent may lie above the actor's subtree: the center at the top of
        # a cadre's own subtree stays editable where it hangs.
        _require_in_scope(actor, center.parent)
    center.level = level_under(center.parent, center.kind)
    if not center.kind:
        center.kind = DEFAULT_KIND[Level(center.level)]
    # The tree fields are mptt's to fill in on save.
    clean_or_refuse(center, exclude=["tree_id", "lft", "rght", "depth"])


@transaction.atomic
def center_save(*, actor: User | None, center: Center) -> Center:
    """Create ``center`` or save the changes made to it, within the actor's subtree."""
    if center.pk is not None:
        # Serialise concurrent edits of one center, so both see the other's move.
        Center.objects.select_for_update().filter(pk=center.pk).first()
    moved = center.pk is not None and (
        Center.objects.filter(pk=center.pk).values_list("parent_id", flat=True).get()
        != center.parent_id
    )
    center_validate(actor=actor, center=center)
    center.save()
    if moved:
        refresh_copied_ancestors(center)
    return center


@transaction.atomic
def center_delete(*, actor: User | None, center: Center) -> None:
    """Delete an empty center. One with sub-centers, services, cadres or volunteers is
    refused: deactivating it is the way to retire it."""
    _require_in_scope(actor, center)
    if (
        actor is not None
        and not actor.is_superuser
        and center.cadre_roles.filter(user=actor).exists()
    ):
        raise DomainError(_("不能删除您本人任职的阵地。"), code=PracticeErrorCode.DELETE_OWN_CENTER)
    if center.get_descendant_count():
        raise DomainError(
            _("该阵地下还有下级阵地，不能删除，可改为停用。"), code=PracticeErrorCode.HAS_CHILDREN
        )
    try:
        center.delete()
    except ProtectedError as exc:
        raise DomainError(
            _("该阵地仍有关联的服务项目、干部或志愿者，不能删除，可改为停用。"),
            code=PracticeErrorCode.IN_USE,
        ) from exc


def service_validate(*, actor: User | None, service: Service) -> None:
    if service.pk is not None:
        original = Service.objects.select_related("center").get(pk=service.pk)
        _require_in_scope(actor, original.center)
    _require_in_scope(actor, getattr(service, "center", None))
    service.name = (service.name or "").strip()
    clean_or_refuse(service)


@transaction.atomic
def service_save(*, actor: User | None, service: Service) -> Service:
    service_validate(actor=actor, service=service)
    service.save()
    return service


@transaction.atomic
def service_delete(*, actor: User | None, service: Service) -> None:
    _require_in_scope(actor, service.center)
    try:
        service.delete()
    except ProtectedError as exc:
        raise DomainError(
            _("该服务项目已有订单，不能删除，可改为下架。"), code=PracticeErrorCode.IN_USE
        ) from exc


def cadre_role_validate(*, actor: User | None, center: Center | None) -> None:
    _require_in_scope(actor, center)


@transaction.atomic
def cadre_role_grant(
    *, actor: User | None, user: User, center: Center, title: str | None = None
) -> CadreRole:
    """Make ``user`` a cadre of ``center``; granting a role they hold already changes
    nothing but the title, and only when one is given."""
    cadre_role_validate(actor=actor, center=center)
    role, created = CadreRole.objects.get_or_create(
        user=user, center=center, defaults={"title": title or ""}
    )
    if not created and title is not None and role.title != title:
        role.title = title
        role.save(update_fields=["title", "updated_at"])
    return role


@transaction.atomic
def cadre_role_revoke(*, actor: User | None, role: CadreRole) -> None:
    _require_in_scope(actor, role.center)
    if actor is not None and role.user_id == actor.pk and not actor.is_superuser:
        raise DomainError(_("不能撤销您本人的任职。"), code=PracticeErrorCode.REVOKE_OWN_ROLE)
    role.delete()


@transaction.atomic
def cadre_create(
    *, phone: str, center: Center, name: str | None = None, password: str | None = None
) -> tuple[User, bool]:
    """Give the account with ``phone`` a cadre role at ``center``, creating the account if
    there is none (then ``name`` and ``password`` are required). Returns the user and
    whether it was created. Run by deployers, outside any cadre's scope."""
    user, created = account_ensure(phone=phone, name=name, password=password)
    cadre_role_grant(actor=None, user=user, center=center)
    return user, created
