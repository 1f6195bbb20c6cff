"""Imports run one way (DESIGN.md): no module of ballast imports, directly or through others, a
module that imports it back, and no layer imports a layer above it: the kernel (fixed,
atomic, ...) <- the engines (drift, curie: never each other) <- sim <- store <- sweep <- report
<- service <- web <- the commands (cli, bench, demo, replay). Lazy imports (inside functions)
count too. `from package import submodule` is an edge to the submodule only."""

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules(src: Path = SRC, package: str = "ballast") -> dict[str, Path]:
    modules = {}
    for path in (src / package).rglob("*.py"):
        parts = path.relative_to(src).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.append(submodule if submodule in modules else node.module)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            edges[name].update(t for t in targets if t in modules and t != name)
    return edges


KERNEL = {"ballast", "ballast.fixed", "ballast.math_error", "ballast.value_copy", "ballast.atomic", "ballast.engine"}
LAYERS = {"drift": 1, "curie": 1, "sim": 2, "store": 3, "sweep": 4, "report": 5, "service": 6, "web": 7}
COMMANDS = 9


def _layer(module: str) -> tuple[str, int]:
    """(layer name, rank) of a ballast module; a higher rank may import a lower one."""
    if module in KERNEL:
        return "kernel", 0
    part = module.split(".")[1]
    return (part, LAYERS[part]) if part in LAYERS else ("commands", COMMANDS)


def _upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports of a higher layer, or of the other engine."""
    found = []
    for module, targets in sorted(edges.items()):
        name, rank = _layer(module)
        for target in sorted(targets):
            target_name, target_rank = _layer(target)
            if target_rank > rank or (target_rank == rank == 1 and target_name != name):
                found.append(f"{module} -> {target}")
    return found


def _cycles(edges: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back_through_others():
    # Arrange
    modules = _modules()

    # Act
    cycles = _cycles(_edges(modules), list(modules))

    # Assert
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_layer_imports_a_layer_above_it_and_the_engines_not_each_other():
    # Arrange
    modules = _modules()

    # Act
    upward = _upward(_edges(modules))

    # Assert
    assert upward == [], "upward imports: " + "; ".join(upward)


def test_the_layer_check_sees_an_engine_importing_the_simulator_or_the_other_engine():
    edges = defaultdict(set, {"ballast.drift.exchange": {"ballast.sim.runner", "ballast.curie.errors", "ballast.fixed"}})
    assert _upward(edges) == ["ballast.drift.exchange -> ballast.curie.errors", "ballast.drift.exchange -> ballast.sim.runner"]


def test_the_cycle_finder_sees_a_cycle_through_a_lazy_import(tmp_path):
    # Arrange: a imports b at module level, b imports a inside a function, c imports a
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import g\n")
    (package / "b.py").write_text("def g():\n    from pkg import a\n    return a\n")
    (package / "c.py").write_text("import pkg.a\n")
    modules = _modules(tmp_path, "pkg")

    # Act
    cycles = _cycles(_edges(modules), list(modules))

    # Assert
    assert cycles == [["pkg.a", "pkg.b"]]
