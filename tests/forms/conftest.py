"""Shared fixtures for the forms tests: the example forms, module layouts, the shipped rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from engine import FieldFacts, ModuleFacts, RulesetLibrary, Settings, load_library
from forms import Form, load_form
from tests.conftest import RULES

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = sorted(p.name.removesuffix(".schema.json") for p in (DATA / "forms").glob("*.schema.json"))
AT_2026_1 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
AT_2026_2 = dt.datetime(2026, 8, 1, 9, 0, tzinfo=dt.timezone.utc)
_MODULES = json.loads((DATA / "modules.json").read_text(encoding="utf-8"))
_MARKING = json.loads((DATA / "marking.json").read_text(encoding="utf-8"))


def example_schema(name: str) -> dict:
    return json.loads((DATA / "forms" / f"{name}.schema.json").read_text(encoding="utf-8"))


def example(name: str) -> Form:
    return load_form((DATA / "forms" / f"{name}.schema.json").read_text(encoding="utf-8"))


def module_facts(name: str, marked: bool = True) -> ModuleFacts:
    """Return a module of modules.json as engine facts, with the demo's personal marking or none."""
    module = next(m for m in _MODULES["modules"] if m["api_name"] == name)
    marks = _MARKING.get(name, {}) if marked else {}
    return ModuleFacts(
        name=name,
        custom=module["custom_module"],
        fields=tuple(
            FieldFacts(
                name=f["api_name"],
                type=f["data_type"],
                classification=marks.get(f["api_name"], "none"),
                encrypted=f["encrypted"],
                read_only=f["read_only"],
                required=f["required"],
            )
            for f in module["fields"]
        ),
    )


def settings_for(*modules: str) -> Settings:
    return Settings(compliance_enabled=True, modules=frozenset(modules or _MODULES["person_related_modules"]))


@pytest.fixture(scope="session")
def library() -> RulesetLibrary:
    return load_library(RULES)
