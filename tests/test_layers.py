"""The layers of docs/layers.md where imports cannot show them.

import-linter (pyproject's [tool.importlinter]) checks the imports. A model can also name
another app's model by a string ("volunteers.Skill" in a ForeignKey, ``apps.get_model``), and
a migration can depend on another app's migration: neither is an import. These tests read the
same layer list from pyproject.toml, so there is one definition, and check both against it.

``settings.AUTH_USER_MODEL`` is allowed everywhere: it is Django's own inversion, by which a
lower app (core's notifications) names "the project's user model" without naming an app.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent

# Model fields whose first argument (or ``to=``/``through=``) names a model.
MODEL_FIELDS = {
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
    "ForeignObject",
    "TreeForeignKey",
    "TreeOneToOneField",
    "TreeManyToManyField",
}
# "label.Model" as a whole string anywhere in the code (a lazy reference in any call).
MODEL_STRING = re.compile(r"^(?P<label>[a-z_]+)\.(?P<model>[A-Z]\w*)$")

# History: migrations that deployed databases have applied are never rewritten. practice's
# Service.skills pointed up at volunteers.Skill; practice 0006 and volunteers 0006 moved the
# relation up to Skill.services over the same table, so only these lines still point up.
# Squashing practice's migrations would retire them.
HISTORICAL = {
    ("practice/migrations/0003_center_auto_dispatch_service_skills.py", "volunteers"),
}


@dataclass(frozen=True)
class Layers:
    """Bottom first: ``order[package]`` is the package's height, ``independent`` holds the
    pairs of siblings on one layer that may not know each other ("a | b" in import-linter;
    "a : b" siblings may)."""

    order: dict[str, int]
    independent: frozenset[frozenset[str]]

    def allows(self, source: str, target: str) -> bool:
        if source == target:
            return True
        if self.order[target] > self.order[source]:
            return False
        return frozenset({source, target}) not in self.independent


def layers_from_pyproject() -> Layers:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c.get("id") == "layers"]
    order: dict[str, int] = {}
    independent: set[frozenset[str]] = set()
    # import-linter lists the top layer first.
    for height, entry in enumerate(reversed(contract["layers"])):
        names = [name.strip().strip("()").strip() for name in re.split(r"[|:]", entry)]
        for name in names:
            order[name] = height
        if "|" in entry:
            independent.update(frozenset({a, b}) for a in names for b in names if a != b)
    return Layers(order=order, independent=frozenset(independent))


def package_of_label() -> dict[str, str]:
    """App label to the top-level package of this project that holds the app."""
    return {
        config.label: config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
        and ".venv" not in Path(config.path).parts
    }


@dataclass(frozen=True)
class Reference:
    path: str
    line: int
    label: str
    what: str


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _label_of(reference: str) -> str | None:
    """ "volunteers.Skill" and "volunteers.skill" name app volunteers; "Skill" and "self"
    name the app the code is in (None)."""
    if "." not in reference:
        return None
    return reference.split(".", 1)[0]


def references_in(source: str, path: str) -> list[Reference]:
    """Every app another app's code or migration names without importing it."""
    tree = ast.parse(source, filename=path)
    found: list[Reference] = []

    def add(node: ast.AST, label: str | None, what: str) -> None:
        if label is not None:
            found.append(Reference(path, getattr(node, "lineno", 0), label, what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in MODEL_FIELDS:
                targets = [node.args[0]] if node.args else []
                targets += [k.value for k in node.keywords if k.arg in ("to", "through")]
                for target in targets:
                    text = _string(target)
                    if text is not None:
                        add(node, _label_of(text), f"{name}({text!r})")
            elif name == "get_model" and node.args:
                first = _string(node.args[0])
                if first is not None:
                    label = first if len(node.args) > 1 else _label_of(first)
                    add(node, label, f"get_model({first!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = MODEL_STRING.match(node.value)
            if match:
                add(node, match["label"], repr(node.value))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("dependencies", "run_before") for t in node.targets
        ):
            kind = next(t.id for t in node.targets if isinstance(t, ast.Name))
            if isinstance(node.value, ast.List | ast.Tuple):
                for item in node.value.elts:
                    if isinstance(item, ast.Tuple) and item.elts:
                        label = _string(item.elts[0])
                        if kind == "dependencies":
                            add(item, label, f"migration dependency on {label}")
                        elif label is not None:
                            # run_before puts this migration under the other app's: the
                            # other app depends on this one, so it is checked the other way.
                            found.append(
                                Reference(path, item.lineno, f"!{label}", f"run_before {label}")
                            )
    return found


def violations(
    package: str, refs: list[Reference], layers: Layers, packages: dict[str, str]
) -> list[str]:
    out = []
    for ref in refs:
        reverse = ref.label.startswith("!")
        target = packages.get(ref.label.lstrip("!"))
        if target is None or target not in layers.order:
            continue  # Django's and third-party apps sit below every layer.
        allowed = layers.allows(target, package) if reverse else layers.allows(package, target)
        if not allowed and (ref.path, target) not in HISTORICAL:
            out.append(f"{ref.path}:{ref.line}: {package} names {target}: {ref.what}")
    return out


def test_the_historical_exceptions_still_exist() -> None:
    """An exception whose migration is gone (squashed) is removed from the list too."""
    for path, target in HISTORICAL:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert any(ref.label == target for ref in references_in(source, path)), path


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_every_app_of_the_project_has_a_layer() -> None:
    layers = layers_from_pyproject()
    missing = sorted(set(package_of_label().values()) - set(layers.order))
    assert not missing, f"apps without a layer in [tool.importlinter]: {missing}"


def test_string_model_references_and_migration_dependencies_point_down() -> None:
    layers = layers_from_pyproject()
    packages = package_of_label()
    problems: list[str] = []
    checked = 0
    for package in sorted(set(packages.values())):
        for path in _python_files(package):
            refs = references_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
            checked += len(refs)
            problems += violations(package, refs, layers, packages)
    assert not problems, "upward references:\n" + "\n".join(problems)
    # The scan found the references that do exist (migrations depend on their app's earlier
    # ones, "self" and lower apps), so a parser that saw nothing cannot pass.
    assert checked > 50


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('models.ForeignKey("orders.Order", on_delete=models.CASCADE)', "orders"),
        ('models.ManyToManyField(to="points.PointEntry")', "orders"),
        ('TreeForeignKey("orders.order", on_delete=CASCADE)', "orders"),
        ('apps.get_model("orders", "Order")', "orders"),
        ('apps.get_model("orders.Order")', "orders"),
        ('lazy = "orders.Order"', "orders"),
        ('dependencies = [("orders", "0001_initial")]', "orders"),
    ],
)
def test_an_upward_reference_is_found(source: str, expected: str) -> None:
    """volunteers naming orders or points in any of these ways breaks the layers."""
    layers = layers_from_pyproject()
    refs = references_in(source, "volunteers/example.py")
    problems = violations("volunteers", refs, layers, package_of_label())
    assert problems, source
    assert all(" names " in p for p in problems)


@pytest.mark.parametrize(
    "source",
    [
        'models.ForeignKey("practice.Center", on_delete=models.PROTECT)',
        'models.ForeignKey("self", on_delete=models.CASCADE)',
        "models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)",
        'apps.get_model("volunteers", "Skill")',
        'dependencies = [("practice", "0001_initial"), ("auth", "0012_x")]',
        'run_before = [("orders", "0001_initial")]',
    ],
)
def test_a_downward_or_own_reference_is_allowed(source: str) -> None:
    layers = layers_from_pyproject()
    refs = references_in(source, "volunteers/example.py")
    assert not violations("volunteers", refs, layers, package_of_label())


def test_run_before_a_lower_app_is_found() -> None:
    """orders' migration running before practice's puts practice on top of orders."""
    layers = layers_from_pyproject()
    refs = references_in('run_before = [("practice", "0001_initial")]', "orders/m.py")
    assert violations("orders", refs, layers, package_of_label())


def test_siblings_marked_independent_may_not_name_each_other() -> None:
    layers = Layers(
        order={"core": 0, "a": 1, "b": 1, "c": 1},
        independent=frozenset({frozenset({"a", "b"})}),
    )
    assert not layers.allows("a", "b")
    assert layers.allows("a", "c")
    assert layers.allows("a", "core")
    assert not layers.allows("core", "a")
