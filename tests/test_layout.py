"""The layout's rules, read from the code (every import, at the top of a module or inside a function):
annotate/ never imports train/ (only the command line, annotate/cli/, joins them); one module talks
to Label Studio's SDK; click lives in annotate/cli/ only; torch and transformers only under train/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT


def imported(path: Path) -> set[str]:
    """Top-level package names and dotted module names imported anywhere in ``path``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def importers(package: str, target: str) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in modules(package)
            if any(name == target or name.startswith(target + ".") for name in imported(path))]


def test_the_layout_is_what_this_test_reads() -> None:
    assert len(modules("annotate")) > 30 and len(modules("train")) > 10
    assert "train.models.model" in imported(ROOT / "train" / "preannotate.py")  # the reader sees real imports


def test_annotate_never_imports_train_except_the_command_line() -> None:
    offenders = [path for path in importers("annotate", "train") if not path.startswith("annotate/cli/")]
    assert offenders == []
    assert importers("annotate", "train")  # the command line does join them


@pytest.mark.parametrize("target, allowed", [
    ("label_studio_sdk", ("annotate/studio/client.py",)),
    ("click", ("annotate/cli/",)),
    ("torch", ("train/",)),
    ("transformers", ("train/",)),
])
def test_each_dependency_has_one_home(target: str, allowed: tuple[str, ...]) -> None:
    users = importers("annotate", target) + importers("train", target)
    assert users, f"nothing imports {target}: the check would be empty"
    assert [path for path in users if not path.startswith(allowed)] == []
