"""All versions of a ruleset, and which one is in effect at a given instant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .compiler import compile_ruleset
from .errors import NotFoundError, Problem, RequestError, RuleFileError, expected_one_of
from .loader import MANIFEST, display_path, load_rules
from .ruleset import Ruleset
from .testing import run_rule_tests


def version_key(version: str) -> tuple[int, ...]:
    """Order versions such as 2026.2 < 2026.10 by their numbers."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def find_versions(path: Path | str) -> list[Path]:
    """Return the version directories at `path`: itself, its children, or its grandchildren."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return [path]
    children = sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
    if any((c / MANIFEST).is_file() for c in children):
        return [c for c in children if not c.name.startswith(".")]
    return [v for c in children for v in find_versions(c)]


@dataclass(frozen=True)
class RulesetLibrary:
    """The compiled versions of one ruleset, oldest first."""

    name: str
    versions: tuple[Ruleset, ...]

    def get(self, version: str) -> Ruleset:
        """Return one version by its number."""
        for ruleset in self.versions:
            if ruleset.version == version:
                return ruleset
        raise NotFoundError(
            "ruleset.unknown_version",
            expected_one_of(f"version of ruleset '{self.name}'", version, [r.version for r in self.versions]),
        )

    def active(self, at: dt.datetime, pin: str | None = None) -> Ruleset:
        """Return the pinned version, or the newest one in effect on `at`'s UTC date."""
        if pin:
            return self.get(pin)
        try:
            day = at.astimezone(dt.timezone.utc).date()
        except OverflowError:
            raise RequestError(
                "request.out_of_range", f"the instant {at.isoformat()} is outside the calendar once in UTC - at $.at"
            ) from None
        for ruleset in reversed(self.versions):  # oldest first, so the first found is the newest in effect
            if ruleset.effective <= day:
                return ruleset
        first = self.versions[0]
        raise NotFoundError(
            "ruleset.none_in_effect",
            f"no version of ruleset '{self.name}' is in effect on {day}: the first, {first.version}, takes effect on {first.effective}",
        )


def load_library(path: Path | str, run_tests: bool = False) -> RulesetLibrary:
    """Load and compile every version of one ruleset; raise RuleFileError listing every problem.

    With `run_tests`, a version whose rule tests fail is a problem too: a truncated or
    half-saved file may still be valid YAML, but it no longer gives the tested answers.
    """
    dirs = find_versions(path)
    if not dirs:
        raise RuleFileError(
            [
                Problem(
                    "not_found",
                    "expected ruleset version directories with a manifest.yaml, found none",
                    display_path(Path(path)),
                )
            ]
        )
    problems: list[Problem] = []
    compiled: list[Ruleset] = []
    for directory in dirs:
        try:
            files = load_rules(directory)
            ruleset = compile_ruleset(files)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        compiled.append(ruleset)
        if run_tests:
            report = run_rule_tests(files, ruleset)
            problems.extend(
                Problem("test_failed", f"rule test {r.name!r}: {'; '.join(r.failures)}", r.file, r.line)
                for r in report.failed
            )
    names = sorted({r.name for r in compiled})
    if len(names) > 1:
        problems.append(
            Problem(
                "mixed_rulesets",
                f"expected one ruleset, found {', '.join(names)}: point at one ruleset's directory",
                display_path(Path(path)),
            )
        )
    seen: dict[str, Ruleset] = {}
    for ruleset in compiled:
        if ruleset.version in seen:
            problems.append(
                Problem(
                    "duplicate_version",
                    f"version {ruleset.version} is declared by both {seen[ruleset.version].source} and {ruleset.source}",
                    ruleset.source,
                )
            )
        seen[ruleset.version] = ruleset
    if problems:
        raise RuleFileError(problems, display_path(Path(path)))
    ordered = sorted(compiled, key=lambda r: (r.effective, version_key(r.version)))
    return RulesetLibrary(names[0], tuple(ordered))
