"""The layering of DESIGN.md 2 is a contract (pyproject's [tool.importlinter], run by `make lint`): the tree keeps it,
and a copy of the tree with one import against it breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "core", "accounts", "facility", "procurement", "scheduling", "reports")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120, check=False
    )


def copy_of_the_tree(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_import_contract(tmp_path):
    result = lint_imports(copy_of_the_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("accounts/models.py", "import facility.models", "accounts is not allowed to import facility"),
        ("scheduling/services/jobs/submit.py", "import reports.models", "scheduling is not allowed to import reports"),
        ("procurement/selectors.py", "import scheduling.models", "procurement is not allowed to import scheduling"),
        ("core/errors.py", "import accounts.models", "core is not allowed to import accounts"),
        ("scheduling/services/jobs/submit.py", "import scheduling.tasks", "No import cycles between the modules"),
    ],
)
def test_an_import_against_the_layering_fails_the_lint(tmp_path, module, line, broken):
    tree = copy_of_the_tree(tmp_path)
    assert (tree / module).is_file(), f"{module} is not a module of the tree"  # appending would create it
    with (tree / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}  # noqa: E402, F401\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert broken in result.stdout
