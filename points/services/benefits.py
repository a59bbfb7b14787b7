"""Every write to the benefits catalogue (礼遇): cadres keep the benefits of the centers in
their subtree, and no other."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotInScope, clean_or_refuse
from points.errors import PointErrorCode
from points.models.benefits import Benefit
from practice.models import Center
from practice.scoping import center_in_scope


def _require_in_scope(actor: User | None, center: Center | None) -> None:
    """``actor`` None is the system itself (management commands, the demo's seed)."""
    if actor is None:
        return
    if center is None or not center_in_scope(actor, center):
        raise NotInScope(
            _("阵地不存在或不在您的管辖范围内。"),
            code=PointErrorCode.BENEFIT_CENTER_NOT_IN_SCOPE,
            field="center",
        )


def benefit_validate(*, actor: User | None, benefit: Benefit) -> None:
    """Everything ``benefit_save`` checks, without writing: the admin's form calls it to
    show a refusal beside its field. A benefit stays with centers of the actor's subtree,
    before and after the edit."""
    if benefit.pk is not None:
        original = Benefit.objects.select_related("center").get(pk=benefit.pk)
        _require_in_scope(actor, original.center)
    _require_in_scope(actor, getattr(benefit, "center", None))
    benefit.title = (benefit.title or "").strip()
    benefit.provider = (benefit.provider or "").strip()
    clean_or_refuse(benefit)


@transaction.atomic
def benefit_save(*, actor: User | None, benefit: Benefit) -> Benefit:
    """Create ``benefit`` or save the changes made to it, within the actor's subtree."""
    if benefit.pk is not None:
        # Serialise concurrent edits, so a move out of scope is judged on the saved row.
        Benefit.objects.select_for_update().filter(pk=benefit.pk).first()
    benefit_validate(actor=actor, benefit=benefit)
    benefit.save()
    return benefit


@transaction.atomic
def benefit_delete(*, actor: User | None, benefit: Benefit) -> None:
    _require_in_scope(actor, benefit.center)
    benefit.delete()
