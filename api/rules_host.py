"""Hold the ruleset the server answers from; a bad edit never replaces the last good one."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from engine import NotFoundError, Problem, RuleFileError, Ruleset, RulesetLibrary, load_library

log = logging.getLogger("lawful.rules")


SETTLE_SECONDS = 1.0


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    stamp = []
    for file in sorted(p for p in path.rglob("*.yaml") if p.is_file()):
        try:
            info = file.stat()
        except FileNotFoundError:  # removed while we looked: the next look sees it gone
            continue
        stamp.append((str(file), info.st_mtime_ns, info.st_size))
    return tuple(stamp)


def _settled(stamp: tuple[tuple[str, int, int], ...]) -> bool:
    # An editor may still be writing: wait until no file has changed for a moment.
    newest = max((mtime for _, mtime, _ in stamp), default=0)
    return time.time_ns() - newest > SETTLE_SECONDS * 1e9


def _has_version_in_effect(library: RulesetLibrary, at: dt.datetime) -> bool:
    try:
        library.active(at)
    except NotFoundError:  # ruleset.none_in_effect: every version takes effect later
        return False
    return True


class RulesHost:
    """The loaded versions of one ruleset, reloaded when the files change and stay valid.

    `in_use` names the versions something outside the rule files relies on (the version the
    settings pin), each with why: a reload that loses one of them, or that leaves no version in
    effect, would make every decision fail, so it is refused like a broken file and the last good
    versions go on serving. The refused set is held back and taken as soon as nothing relies on
    what it lost any more (the pin changed), without waiting for another edit.
    """

    def __init__(self, path: Path | str, in_use: Callable[[], Mapping[str, str]] = dict) -> None:
        self.path = Path(path)
        self._in_use = in_use
        self._lock = threading.Lock()
        self._stamp = _stamp(self.path)
        self.library: RulesetLibrary = load_library(self.path, run_tests=True)
        self.loaded_at = dt.datetime.now(dt.timezone.utc)
        self.last_error: RuleFileError | None = None
        self._held_back: RulesetLibrary | None = None

    def active(self, at: dt.datetime, pin: str | None = None) -> Ruleset:
        """Return the version in effect at `at`, or the pinned one."""
        return self.library.active(at, pin)

    def reload(self) -> bool:
        """Load the files again; on any problem keep serving the last good versions."""
        with self._lock:
            self._stamp, self._held_back = _stamp(self.path), None
            try:
                library = load_library(self.path, run_tests=True)
            except RuleFileError as exc:
                return self._refuse(exc)
            except Exception as exc:  # nothing a rule file holds may stop the reloader
                log.exception("rule files could not be read")
                problem = Problem("unreadable", f"{exc.__class__.__name__}: {exc}", str(self.path))
                return self._refuse(RuleFileError([problem]))
            lost = self._lost(library)
            if lost:
                self._held_back = library
                return self._refuse(RuleFileError(lost, str(self.path)))
            return self._take(library)

    def reload_if_changed(self) -> bool | None:
        """Reload when a rule file was added, removed or edited; None when nothing changed (yet).

        A set held back for losing a version in use is taken once nothing relies on that version.
        """
        stamp = _stamp(self.path)
        if stamp != self._stamp:
            return self.reload() if _settled(stamp) else None
        with self._lock:
            held = self._held_back
            if held is None or self._lost(held):
                return None
            return self._take(held)

    def _lost(self, library: RulesetLibrary) -> list[Problem]:
        """What serving `library` instead of the current versions would break: a version in use that
        it no longer holds, or no version in effect now."""
        try:
            in_use = self._in_use()
        except Exception as exc:  # without knowing what is in use, nothing may be lost
            log.exception("could not read which ruleset versions are in use")
            return [Problem("in_use_unknown", f"could not read which versions are in use: {exc.__class__.__name__}")]
        kept = {r.version for r in library.versions}
        served = {r.version: r.source for r in self.library.versions}
        problems = [
            Problem(
                "version_in_use",
                f"version {version} is {why}, but the rule files no longer hold it; still serving the last good "
                f"versions: restore {served[version]} or stop using version {version} first",
                served[version],
            )
            for version, why in sorted(in_use.items())
            if version in served and version not in kept
        ]
        now = dt.datetime.now(dt.timezone.utc)
        if _has_version_in_effect(self.library, now) and not _has_version_in_effect(library, now):
            problems.append(
                Problem(
                    "none_in_effect",
                    f"no version the rule files now hold takes effect by {now.date()}; still serving the last "
                    "good versions",
                    str(self.path),
                )
            )
        return problems

    def _take(self, library: RulesetLibrary) -> bool:
        self.library, self.last_error, self._held_back = library, None, None
        self.loaded_at = dt.datetime.now(dt.timezone.utc)
        log.info("rule files reloaded: %s", ", ".join(r.version for r in library.versions))
        return True

    def _refuse(self, error: RuleFileError) -> bool:
        self.last_error = error
        log.error("rule files not reloaded, still serving the last good versions:\n%s", error)
        return False
