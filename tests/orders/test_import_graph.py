"""The modules of orders import one another one way only: tasks call the services and the
dispatcher, the services call the state machine, and the state machine imports no task.

Read from the source (AST), function-level imports included, so that a cycle cannot hide
behind an import moved into a function body."""

from __future__ import annotations

import ast
from pathlib import Path

import orders

ROOT = Path(orders.__file__).parent
PACKAGE = "orders"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    }


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The deepest module of orders that importing ``name`` runs (a package's submodule
    named in a from-import counts as the submodule)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name, known)
            if target is not None and target != module:
                found.add(target)
    # A package's parent __init__ runs first on any import of a submodule; that is not an
    # edge of the design (orders/__init__.py and orders/views/__init__.py import nothing).
    return found


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: imports_of(module, path, known) for module, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_orders_modules_import_each_other_without_a_cycle():
    assert find_cycle(import_graph()) is None


def test_the_state_machine_and_the_services_import_no_task():
    graph = import_graph()
    assert "orders.tasks" not in graph["orders.workflow"]
    assert "orders.tasks" not in graph["orders.services"]
    assert "orders.tasks" not in graph["orders.dispatch"]
    # The tasks call the services (through the dispatcher) and the notifier.
    assert {"orders.dispatch", "orders.notifications"} <= graph["orders.tasks"]
    assert "orders.services" in graph["orders.dispatch"]
    assert "orders.workflow" in graph["orders.services"]


def test_an_import_inside_a_function_is_an_edge(tmp_path):
    module_path = tmp_path / "workflow.py"
    module_path.write_text(
        "def wake():\n    from orders.tasks import notify_pending_task\n"
        "    import orders.dispatch\n"
    )
    known = _modules()
    edges = imports_of("orders.workflow", module_path, known)
    assert edges == {"orders.tasks", "orders.dispatch"}
    # With that edge the old circle comes back, and the check finds it.
    graph = import_graph()
    graph["orders.workflow"] = graph["orders.workflow"] | edges
    cycle = find_cycle(graph)
    assert cycle is not None
    assert cycle[0] == cycle[-1]


def test_a_relative_import_resolves_inside_the_package(tmp_path):
    known = {"orders.views": ROOT / "views" / "__init__.py", "orders.views.common": Path("x")}
    module_path = tmp_path / "resident.py"
    module_path.write_text("from .common import thing\nfrom . import common\n")
    assert imports_of("orders.views.resident", module_path, known) == {"orders.views.common"}
