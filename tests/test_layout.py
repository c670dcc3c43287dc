"""The layout of the tests themselves: one set of factories, and no test module importing another or a conftest."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FACTORIES = TESTS / "factories.py"


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _imported_modules(tree: ast.Module) -> set[str]:
    """Dotted names of what a module imports, including `from tests.x import y` as `tests.x` and `tests.x.y`."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is_test_module_or_conftest(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return dotted.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_module_of_the_tests_imports_a_test_module_or_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in _modules()
        for name in sorted(_imported_modules(ast.parse(path.read_text(), filename=str(path))))
        if _is_test_module_or_conftest(name)
    ]
    assert offenders == [], "test modules and conftests are not libraries: move the helper to tests/support.py"


def _factory_models(tree: ast.Module) -> list[tuple[str, str]]:
    """(factory class, model name) for every class in the module that declares `class Meta: model = X`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for meta in node.body:
            if isinstance(meta, ast.ClassDef) and meta.name == "Meta":
                for statement in meta.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "model" for t in statement.targets)
                        and isinstance(statement.value, ast.Name | ast.Attribute)
                    ):
                        found.append((node.name, ast.unparse(statement.value)))
    return found


def _factory_subclasses(tree: ast.Module) -> list[str]:
    """Classes deriving from a class whose name ends in `Factory` (DjangoModelFactory or one of ours)."""
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).split("[")[0].endswith("Factory") for base in node.bases)
    ]


def test_every_model_has_one_factory_and_it_lives_in_tests_factories():
    by_model: dict[str, list[str]] = defaultdict(list)
    elsewhere = []
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(TESTS.parent)
        for cls, model in _factory_models(tree):
            by_model[model].append(f"{where}:{cls}")
        if path != FACTORIES:
            elsewhere += [
                f"{where}:{cls}"
                for cls in sorted({c for c, _ in _factory_models(tree)} | set(_factory_subclasses(tree)))
            ]
    assert elsewhere == [], "factories belong in tests/factories.py (a variant is a Trait or a subclass there)"
    assert {model: where for model, where in by_model.items() if len(where) > 1} == {}


def test_the_layout_checks_see_what_they_look_for():
    """The scanner recognises a factory and a forbidden import (so the tests above cannot pass vacuously)."""
    source = (
        "from tests.scheduling.test_bookings import book\n"
        "import tests.portal.conftest\n"
        "class AFactory(factory.django.DjangoModelFactory[Site]):\n"
        "    class Meta:\n"
        "        model = Site\n"
        "class BFactory(AFactory):\n"
        "    name = 'b'\n"
    )
    tree = ast.parse(source)
    assert {n for n in _imported_modules(tree) if _is_test_module_or_conftest(n)} == {
        "tests.scheduling.test_bookings",
        "tests.portal.conftest",
    }
    assert _factory_models(tree) == [("AFactory", "Site")]
    assert _factory_subclasses(tree) == ["AFactory", "BFactory"]
    assert len(_factory_models(ast.parse(FACTORIES.read_text()))) >= 15
