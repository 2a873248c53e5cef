"""The public surface of pylotus.abi, and its place on the ground floor (DESIGN.md)."""

from __future__ import annotations

import ast
import pathlib

import pylotus.abi
from pylotus.abi import AbiError
from pylotus.errors import PylotusError

ABI_DIR = pathlib.Path(pylotus.abi.__file__).parent


def test_every_exported_name_exists_and_is_listed_once() -> None:
    names = pylotus.abi.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(pylotus.abi, name), name


def test_every_error_derives_from_the_root() -> None:
    errors = [
        getattr(pylotus.abi, name)
        for name in pylotus.abi.__all__
        if isinstance(getattr(pylotus.abi, name), type)
        and issubclass(getattr(pylotus.abi, name), BaseException)
    ]
    assert len(errors) == 10
    for error in errors:
        assert issubclass(error, AbiError)
        assert issubclass(error, PylotusError)


def test_abi_imports_nothing_of_ours_but_errors() -> None:
    for path in ABI_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                module = node.module
            elif isinstance(node, ast.Import):
                module = ",".join(alias.name for alias in node.names)
            else:
                continue
            assert not module.startswith("pylotus") or module == "pylotus.errors", (path, module)


def test_no_module_is_too_long() -> None:
    for path in ABI_DIR.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path
