"""Reads of accounts, scoped to whoever asks.

Here, not in accounts: which accounts a cadre answers for follows from cadre roles
(practice) and volunteer homes (volunteers), both above the user model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import BooleanField, Exists, Expression, OuterRef, Q, QuerySet
from django.db.models.sql.where import WhereNode

from accounts.models import User
from practice.models import CadreRole, Center, Level
from practice.scoping import ROLE_COLUMNS, scope_queryset
from volunteers.models import Volunteer


class Role:
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    CADRE = "cadre"


def user_roles(user: User) -> list[str]:
    """Every account may order services; volunteer and cadre come from what it holds."""
    roles = [Role.RESIDENT]
    if Volunteer.objects.filter(user=user, status=Volunteer.Status.ACTIVE).exists():
        roles.append(Role.VOLUNTEER)
    if user.cadre_roles.exists():
        roles.append(Role.CADRE)
    return roles


class _AccountsOfBranches(Expression):
    """``pk IN ((branch ORDER BY user_id) UNION ALL (branch ORDER BY user_id) ...)`` for a
    list of the scope alone, and ``EXISTS (branch) OR EXISTS (branch) ...`` for a statement
    that narrows the accounts by something else too (a search, a filter). The same set of
    accounts either way; which shape is cheaper depends on the statement.

    A list of the scope alone: PostgreSQL merges a union's branches into one sorted stream
    (a Merge Append, which a merge with the accounts' primary key walks only as far as the
    page) only if each branch is sorted: a branch with a WHERE of its own cannot be pulled
    into the union and is planned apart, unsorted, unless it is asked to sort. Sorted in the
    list's direction, a county's newest (or oldest) hundred accounts are a short walk of the
    (county, user) index beside the primary key, and the capped count, unsorted, walks
    oldest first the same way. The direction is known only when the statement is compiled
    (the admin sorts after the scope is applied; the count clears the sort): the statement's
    first sort key decides, oldest first when it has none.

    A narrowed statement: the union cannot be probed for one account (a branch planned
    apart takes no parameter), so the database would read and hash every branch whole
    (98,000 accounts for a county) to test the few a phone number finds; the existence tests
    probe the (tier, user) indexes once for each account the other condition finds.
    """

    def __init__(
        self,
        oldest_first: Q | WhereNode,
        newest_first: Q | WhereNode,
        each: Q | WhereNode | None,
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.oldest_first = oldest_first
        self.newest_first = newest_first
        self.each = each
        # Shared by the copies Django makes as it resolves the condition, to know it again.
        self.token = object()

    @classmethod
    def of(cls, *branches: QuerySet[Any], probe_when_narrowed: bool) -> _AccountsOfBranches:
        """The condition for branches of rows that each hold an account (``user``);
        ``probe_when_narrowed`` for branches too big to read whole for a narrowed statement
        (a county's); a township's or a village's few thousand are gathered even then."""

        def union(order: str) -> QuerySet[Any]:
            first, *rest = (branch.values("user_id").order_by(order) for branch in branches)
            return first.union(*rest, all=True)

        each = None
        if probe_when_narrowed:
            each = Q()
            for branch in branches:
                each |= Q(Exists(branch.filter(user=OuterRef("pk"))))
        return cls(Q(pk__in=union("user_id")), Q(pk__in=union("-user_id")), each)

    def get_source_expressions(self) -> list[Any]:
        return [self.oldest_first, self.newest_first, self.each]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.oldest_first, self.newest_first, self.each = exprs

    def _narrowed(self, node: Any) -> bool:
        """Whether the statement's WHERE holds a condition besides this one."""
        if isinstance(node, WhereNode):
            return any(self._narrowed(child) for child in node.children)
        return getattr(getattr(node, "lhs", None), "token", None) is not self.token

    def as_sql(
        self, compiler: Any, connection: Any, template: str | None = None, **extra: Any
    ) -> tuple[str, list[Any]]:
        if self.each is not None and self._narrowed(compiler.query.where):
            chosen = self.each
        else:
            ordering = compiler.get_order_by()
            descending = bool(ordering) and getattr(ordering[0][0], "descending", False)
            chosen = self.newest_first if descending else self.oldest_first
        sql, params = compiler.compile(chosen)
        return sql, list(params)


def users_in_scope(actor: User, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """Users a cadre answers for: cadres and volunteers of centers in the cadre's subtree,
    and, for a cadre of the whole city, the residents no center is responsible for yet.

    At city scale the shape of the query decides its cost:

    - a cadre of every tree (the city) answers for every account: no filter at all, so the
      list is the primary key read backwards;
    - any other cadre's accounts are their volunteers' accounts (read from the (county,
      user), (township, user) or (village, user) index of the volunteers' copied
      ancestors) and their cadres' accounts (a few roles), as ``_AccountsOfBranches``
      spells them: merged in the list's order beside the primary key for a page or the
      capped count (a county's 98,000 accounts had been probed, newest first, against a
      hash of all of them, twice a page); for a county narrowed by a search or a filter,
      tested account by account; a township's or a village's few thousand, gathered;
    - a cadre of one tree of several also answers for the accounts under no center, which
      no index gathers: that rare case tests each account in turn.
    """
    queryset = User.objects.all() if queryset is None else queryset
    if actor.is_superuser:
        return queryset
    roles = list(CadreRole.objects.filter(user=actor).values_list(*ROLE_COLUMNS))
    # A tree's root is the node whose range starts at 1 (django-mptt).
    whole_trees = {tree_id for _center, _level, tree_id, lft, _rght in roles if lft == 1}
    if whole_trees and not (
        Center.objects.filter(parent__isnull=True).exclude(tree_id__in=whole_trees).exists()
    ):
        return queryset
    volunteers = scope_queryset(Volunteer.objects.all(), actor, via="home_center", roles=roles)
    cadres = scope_queryset(CadreRole.objects.all(), actor, via="center")
    if whole_trees:
        # One tree of several: the accounts under no center are this cadre's too.
        return queryset.filter(
            Exists(volunteers.filter(user=OuterRef("pk")))
            | Exists(cadres.filter(user=OuterRef("pk")))
            | (
                ~Exists(CadreRole.objects.filter(user=OuterRef("pk")))
                & ~Exists(Volunteer.objects.filter(user=OuterRef("pk")))
            )
        )
    return queryset.filter(
        _AccountsOfBranches.of(
            volunteers,
            cadres,
            probe_when_narrowed=any(
                level in (Level.CITY, Level.COUNTY) for _c, level, *_r in roles
            ),
        )
    )


def users_editable_by(actor: User, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """Accounts ``actor`` may change (rename, switch off): those whose every role lies in the
    actor's scope. Seeing an account is not enough: a village cadre sees a county cadre who
    volunteers in the village, but acting on them would be acting on someone above.

    Every cadre role of the account must sit in the actor's subtree, and so must its volunteer
    home; an account with neither (a resident) is kept by cadres of the whole tree, as
    ``users_in_scope`` already shows it only to them.
    """
    queryset = users_in_scope(actor, queryset)
    if actor.is_superuser:
        return queryset
    roles_in_scope = scope_queryset(CadreRole.objects.all(), actor, via="center")
    role_outside = Exists(
        CadreRole.objects.filter(user=OuterRef("pk")).exclude(pk__in=roles_in_scope.values("pk"))
    )
    # The volunteer's own home against the actor's roles, a containment test per row of the
    # (already narrowed) account list rather than the city's volunteers.
    home_outside = Exists(
        Volunteer.objects.filter(user=OuterRef("pk")).exclude(
            Exists(
                CadreRole.objects.filter(
                    user=actor,
                    center__tree_id=OuterRef("home_center__tree_id"),
                    center__lft__lte=OuterRef("home_center__lft"),
                    center__rght__gte=OuterRef("home_center__rght"),
                )
            )
        )
    )
    return queryset.exclude(role_outside).exclude(home_outside)


def account_editable_by(actor: User, user: User) -> bool:
    """The one answer to "may this cadre change this account", for the admin and services."""
    return users_editable_by(actor).filter(pk=user.pk).exists()
