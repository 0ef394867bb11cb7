"""Read YAML rule files into plain values, remembering the line of every value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

from .errors import Problem

T = TypeVar("T")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NODES = 200_000
_AT_PATH = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.S)


class Source(msgspec.Struct):
    """One YAML file read into plain values, with a line for each JSON path."""

    file: str
    value: Any
    lines: dict[str, int]

    def line_of(self, path: str) -> int:
        """Return the line of `path`, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("$", 1)


def read_source(path: Path, name: str) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML file; a syntax or encoding error is a problem, not an exception."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return None, [
            Problem("encoding", f"not UTF-8: byte 0x{path.read_bytes()[exc.start]:02x} cannot be decoded", name, line)
        ]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem("yaml_syntax", f"invalid YAML: {reason}", name, line)]
    finally:
        loader.dispose()
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    budget = [MAX_NODES]
    try:
        value = _build(node, "$", lines, name, problems, budget) if node is not None else None
    except _TooLargeError:
        return None, [
            Problem(
                "too_large",
                f"the file expands to more than {MAX_NODES} values (aliases?); a rule file is far smaller",
                name,
                1,
            )
        ]
    except RecursionError:
        return None, [Problem("too_deep", "the file nests too deeply", name, 1)]
    return Source(name, value, lines), problems


class _TooLargeError(Exception):
    pass


def _build(
    node: yaml.Node, path: str, lines: dict[str, int], name: str, problems: list[Problem], budget: list[int]
) -> Any:
    # Aliases make a small file expand exponentially: count what is built, and stop early.
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLargeError
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, name, problems)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(
                    Problem(
                        "invalid_key", f"a key must be plain text, found {key!r}", name, key_node.start_mark.line + 1
                    )
                )
                continue
            if key in result:
                problems.append(
                    Problem(
                        "duplicate_key",
                        f"key {key!r} appears twice in the same mapping",
                        name,
                        key_node.start_mark.line + 1,
                    )
                )
            child = f"{path}.{key}"
            result[key] = _build(value_node, child, lines, name, problems, budget)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, f"{path}[{i}]", lines, name, problems, budget) for i, item in enumerate(node.value)]
    return _scalar(node, name, problems)


def _scalar(node: yaml.Node, name: str, problems: list[Problem]) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return repr(node)
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError) as exc:
        # e.g. a date that does not exist (2026-02-30): YAML reads it as a date and fails
        problems.append(
            Problem("invalid_value", f"{node.value!r} cannot be read: {exc}", name, node.start_mark.line + 1)
        )
        return node.value


def convert(source: Source, kind: type[T], at: str = "$", value: Any = None) -> tuple[T | None, list[Problem]]:
    """Turn the plain value at `at` into `kind`; a mismatch becomes a problem at its line."""
    data = source.value if value is None and at == "$" else value
    try:
        return msgspec.convert(data, kind, strict=False), []
    except msgspec.ValidationError as exc:
        match = _AT_PATH.match(str(exc))
        message = match.group("msg") if match else str(exc)
        inner = match.group("path") if match and match.group("path") else "$"
        full = at + inner[1:]
        message = message.replace("`", "'")
        return None, [Problem("invalid_value", f"{message} - at {full}", source.file, source.line_of(full))]
