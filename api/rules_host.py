"""Hold the ruleset the server answers from; a bad edit never replaces the last good one."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

from engine import Problem, RuleFileError, Ruleset, RulesetLibrary, load_library

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


class RulesHost:
    """The loaded versions of one ruleset, reloaded when the files change and stay valid."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = _stamp(self.path)
        self.library: RulesetLibrary = load_library(self.path, run_tests=True)
        self.loaded_at = dt.datetime.now(dt.timezone.utc)
        self.last_error: RuleFileError | None = None

    def active(self, at: dt.datetime, pin: str | None = None) -> Ruleset:
        """Return the version in effect at `at`, or the pinned one."""
        return self.library.active(at, pin)

    def reload(self) -> bool:
        """Load the files again; on any problem keep serving the last good versions."""
        with self._lock:
            stamp = _stamp(self.path)
            try:
                library = load_library(self.path, run_tests=True)
            except RuleFileError as exc:
                self.last_error = exc
                self._stamp = stamp
                log.error("rule files not reloaded, still serving the last good versions:\n%s", exc)
                return False
            except Exception as exc:  # nothing a rule file holds may stop the reloader
                self.last_error = RuleFileError(
                    [Problem("unreadable", f"{exc.__class__.__name__}: {exc}", str(self.path))]
                )
                self._stamp = stamp
                log.exception("rule files not reloaded, still serving the last good versions")
                return False
            self.library, self._stamp, self.last_error = library, stamp, None
            self.loaded_at = dt.datetime.now(dt.timezone.utc)
            log.info("rule files reloaded: %s", ", ".join(r.version for r in library.versions))
            return True

    def reload_if_changed(self) -> bool | None:
        """Reload when a rule file was added, removed or edited; None when nothing changed (yet)."""
        stamp = _stamp(self.path)
        if stamp == self._stamp or not _settled(stamp):
            return None
        return self.reload()
