"""JSON Schemas of the rule file kinds, so that editors check files as analysts type."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

from .lifecycle import LifecycleSpec
from .model import Manifest, Parameters, RulesFile, TestsFile

FILE_KINDS: dict[str, type[Struct]] = {
    "manifest": Manifest,
    "parameters": Parameters,
    "rules": RulesFile,
    "tests": TestsFile,
    "lifecycle": LifecycleSpec,
}


def file_schema(kind: str) -> dict[str, Any]:
    """Return the JSON Schema of one kind of rule file."""
    schema: dict[str, Any] = msgspec.json.schema(FILE_KINDS[kind])
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
