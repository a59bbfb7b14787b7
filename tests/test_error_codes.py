"""Error codes are an enum per app (``<app>/errors.py``), not free strings: every DomainError
raised in the apps names a member of its own app's enum (or builds one from a computed value,
``OrderErrorCode(f"not_allowed_in_{status}")``), and every member is raised somewhere. Read
from the source (AST), so that a new raise with a bare string fails here."""

from __future__ import annotations

import ast
import functools
import importlib
from enum import StrEnum
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = {
    "accounts": "AccountErrorCode",
    "practice": "PracticeErrorCode",
    "volunteers": "VolunteerErrorCode",
    "orders": "OrderErrorCode",
    "points": "PointErrorCode",
    "core": "CoreErrorCode",
}
ROOTS = {"DomainError", "ConflictError", "NotInScope"}


def enum_of(app: str) -> type[StrEnum] | None:
    module = "core.errors" if app == "core" else f"{app}.errors"
    try:
        return getattr(importlib.import_module(module), APPS[app])
    except ModuleNotFoundError:
        return None


@functools.cache
def sources(app: str) -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@functools.cache
def error_classes() -> frozenset[str]:
    """DomainError and every class of the apps derived from it, by name."""
    family = set(ROOTS)
    trees = [tree for app in APPS for _path, tree in sources(app)]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in family:
                    if any(_name(base) in family for base in node.bases):
                        family.add(node.name)
                        grew = True
    return frozenset(family)


def code_arguments(app: str) -> list[tuple[str, ast.expr]]:
    """Every ``code=`` given to an error of the family, or to its ``super().__init__``."""
    family = error_classes()
    found = []
    for path, tree in sources(app):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_super_init = (
                isinstance(func, ast.Attribute)
                and func.attr == "__init__"
                and isinstance(func.value, ast.Call)
                and _name(func.value.func) == "super"
            )
            if _name(func) not in family and not is_super_init:
                continue
            for keyword in node.keywords:
                if keyword.arg == "code":
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", keyword.value))
    return found


def _member_use(value: ast.expr, enum: str) -> str | None:
    """``Enum.MEMBER`` → MEMBER; ``Enum(...)`` → "()" (by value); anything else → None."""
    if isinstance(value, ast.Attribute) and _name(value.value) == enum:
        return value.attr
    if isinstance(value, ast.Call) and _name(value.func) == enum:
        return "()"
    return None


@pytest.mark.parametrize("app", sorted(APPS))
def test_every_raise_names_a_member_of_its_apps_enum(app):
    enum = enum_of(app)
    arguments = code_arguments(app)
    if enum is None:
        assert arguments == [], f"{app} raises codes but has no {app}/errors.py"
        return
    bare = [
        f"{where}: {ast.unparse(value)}"
        for where, value in arguments
        if _member_use(value, APPS[app]) is None
    ]
    assert bare == []
    unknown = [
        f"{where}: {value.attr}"
        for where, value in arguments
        if isinstance(value, ast.Attribute) and value.attr not in enum.__members__
    ]
    assert unknown == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_every_member_is_raised_somewhere(app):
    enum = enum_of(app)
    if enum is None:
        pytest.skip(f"{app} raises no domain error")
    module = importlib.import_module("core.errors" if app == "core" else f"{app}.errors")
    by_value = getattr(module, "BY_VALUE_PREFIXES", ())
    # Named anywhere in the app: in a raise, or as the fallback of a computed code.
    named = {
        node.attr
        for _path, tree in sources(app)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _name(node.value) == APPS[app]
    }
    unused = [
        member.name
        for member in enum
        if member.name not in named and not member.value.startswith(by_value)
    ]
    assert unused == []


def test_the_values_are_the_codes_clients_know():
    # A few codes the API contract and the clients rely on, spelled out.
    from orders.errors import OrderErrorCode
    from volunteers.errors import VolunteerErrorCode

    assert OrderErrorCode.ORDER_NOT_IN_SCOPE == "order_not_in_scope"
    assert OrderErrorCode("not_allowed_in_dispatched") is OrderErrorCode.NOT_ALLOWED_IN_DISPATCHED
    assert VolunteerErrorCode.VOLUNTEER_NOT_IN_SCOPE == "volunteer_not_in_scope"
    for app in APPS:
        enum = enum_of(app)
        if enum is not None:
            assert all(member.value == member.value.lower() for member in enum)


def test_a_bare_string_is_caught(tmp_path):
    tree = ast.parse('raise DomainError("x", code="free_text")')
    value = next(node for node in ast.walk(tree) if isinstance(node, ast.keyword)).value
    assert _member_use(value, "OrderErrorCode") is None
    tree = ast.parse('raise DomainError("x", code=OrderErrorCode.REQUIRED)')
    value = next(node for node in ast.walk(tree) if isinstance(node, ast.keyword)).value
    assert _member_use(value, "OrderErrorCode") == "REQUIRED"
