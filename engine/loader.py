"""Load one ruleset version directory into typed rule files, reporting every problem at once."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from msgspec import Struct

from .errors import Problem, RuleFileError
from .model import Case, Manifest, Parameters, Rule
from .source import Source, convert, read_source

T = TypeVar("T")
MANIFEST, PARAMETERS, TESTS_DIR, LIFECYCLES_DIR = "manifest.yaml", "parameters.yaml", "tests", "lifecycles"


@dataclass(frozen=True)
class Located(Generic[T]):
    """An item read from a rule file, with where it was found."""

    item: T
    file: str
    line: int
    source: Source
    path: str

    def line_of(self, key: str) -> int:
        """Return the line of one key of the item."""
        return self.source.line_of(f"{self.path}.{key}")


@dataclass(frozen=True)
class RuleFiles:
    """Everything in one ruleset version directory, checked against the file format."""

    root: Path
    manifest: Located[Manifest]
    parameters: Located[Parameters]
    rules: tuple[Located[Rule], ...]
    tests: tuple[Located[Case], ...]
    lifecycles: tuple[Source, ...]
    digest: str
    problems: tuple[Problem, ...] = ()


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def digest_of(root: Path) -> str:
    """Return a digest of every file of a version, so a decision names exactly what made it."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.yaml") if p.is_file()):
        hasher.update(path.relative_to(root).as_posix().encode() + b"\0")
        hasher.update(path.read_bytes() + b"\0")
    return "sha256:" + hasher.hexdigest()


def load_rules(root: Path | str) -> RuleFiles:
    """Read a version directory and check it against the file format.

    Raises RuleFileError when the manifest or parameters cannot be read; other problems are
    kept in `problems` so that compiling can add its own and report all of them at once.
    """
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        raise RuleFileError(
            [Problem("not_found", "expected a ruleset version directory, found nothing there", display_path(root))]
        )
    manifest = _load_one(root / MANIFEST, Manifest, problems)
    parameters = _load_one(root / PARAMETERS, Parameters, problems)
    rules: list[Located[Rule]] = []
    for path in sorted(root.glob("*.yaml")):
        if path.name not in (MANIFEST, PARAMETERS):
            rules.extend(_load_list(path, "rules", Rule, problems))
    tests: list[Located[Case]] = []
    for path in sorted((root / TESTS_DIR).glob("*.yaml")):
        tests.extend(_load_list(path, "cases", Case, problems, extra=("defaults",)))
    lifecycles = []
    for path in sorted((root / LIFECYCLES_DIR).glob("*.yaml")):
        source, found = read_source(path, display_path(path))
        problems.extend(found)
        if source is not None:
            lifecycles.append(source)
    if not rules and not problems:
        problems.append(
            Problem(
                "no_rules",
                "expected at least one rules file (*.yaml with a 'rules' list), found none",
                display_path(root),
            )
        )
    if manifest is None or parameters is None:
        raise RuleFileError(problems, display_path(root))
    return RuleFiles(
        root, manifest, parameters, tuple(rules), tuple(tests), tuple(lifecycles), digest_of(root), tuple(problems)
    )


def _load_one(path: Path, kind: type[T], problems: list[Problem]) -> Located[T] | None:
    name = display_path(path)
    if not path.is_file():
        problems.append(
            Problem("missing_file", f"expected {path.name} ({kind.__name__.lower()}), found no such file", name)
        )
        return None
    source, found = read_source(path, name)
    problems.extend(found)
    if source is None:
        return None
    value, found = convert(source, kind)
    problems.extend(found)
    return Located(value, name, source.line_of("$"), source, "$") if value is not None else None


def _load_list(
    path: Path, key: str, kind: type[T], problems: list[Problem], extra: tuple[str, ...] = ()
) -> list[Located[T]]:
    name = display_path(path)
    source, found = read_source(path, name)
    problems.extend(found)
    if source is None:
        return []
    top = source.value
    if not isinstance(top, dict) or not isinstance(top.get(key), list):
        problems.append(
            Problem(
                "invalid_value",
                f"expected a mapping with a '{key}' list, found {_kind_of(top)}",
                name,
                source.line_of("$"),
            )
        )
        return []
    for unknown in sorted(set(top) - {key, *extra}, key=str):
        problems.append(
            Problem(
                "unknown_key",
                f"unknown key {unknown!r}: expected {', '.join(repr(k) for k in (key, *extra))}",
                name,
                source.line_of(f"$.{unknown}"),
            )
        )
    located: list[Located[T]] = []
    defaults = top.get("defaults", {})
    if "defaults" in extra and not isinstance(defaults, dict):
        problems.append(
            Problem(
                "invalid_value",
                f"expected 'defaults' to be a mapping, found {_kind_of(defaults)}",
                name,
                source.line_of("$.defaults"),
            )
        )
        defaults = {}
    for index, value in enumerate(top[key]):
        at = f"$.{key}[{index}]"
        if kind is Case and isinstance(value, dict) and defaults:
            value = {**value, "given": _merge(defaults, value.get("given") or {})}
        item, found = convert(source, kind, at, value)
        problems.extend(found)
        if item is not None:
            located.append(Located(item, name, source.line_of(at), source, at))
    return located


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def _kind_of(value: Any) -> str:
    if isinstance(value, Struct):
        return type(value).__name__
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
