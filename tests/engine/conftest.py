"""Fixtures for engine tests: a writable copy of a shipped ruleset version."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import RULES


class VersionDir:
    """A copy of rules/gdpr/2026.1 that a test may edit."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def write(self, name: str, text: str) -> None:
        (self.root / name).write_text(text, encoding="utf-8")


@pytest.fixture
def version_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> VersionDir:
    target = tmp_path / "rules" / "gdpr" / "2026.1"
    shutil.copytree(RULES / "2026.1", target)
    monkeypatch.chdir(tmp_path)
    return VersionDir(Path("rules/gdpr/2026.1"))
