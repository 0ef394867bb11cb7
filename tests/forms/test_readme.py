"""The README's forms example runs as written."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_forms_example(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "from forms import" in b)
    exec(compile(block, "README.md", "exec"), {})
