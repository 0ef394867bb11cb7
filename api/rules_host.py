"""Hold the ruleset the server answers from; a bad edit never replaces the last good one."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from engine import RuleFileError, Ruleset, RulesetLibrary, load_library

log = logging.getLogger("lawful.rules")


def _stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    files = sorted(p for p in path.rglob("*.yaml") if p.is_file())
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


class RulesHost:
    """The loaded versions of one ruleset, reloaded when the files change and stay valid."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = _stamp(self.path)
        self.library: RulesetLibrary = load_library(self.path)
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
                library = load_library(self.path)
            except RuleFileError as exc:
                self.last_error = exc
                self._stamp = stamp
                log.error("rule files not reloaded, still serving the last good versions:\n%s", exc)
                return False
            self.library, self._stamp, self.last_error = library, stamp, None
            self.loaded_at = dt.datetime.now(dt.timezone.utc)
            log.info("rule files reloaded: %s", ", ".join(r.version for r in library.versions))
            return True

    def reload_if_changed(self) -> bool | None:
        """Reload when a rule file was added, removed or edited; None when nothing changed."""
        if _stamp(self.path) == self._stamp:
            return None
        return self.reload()
