"""A progress bar on the terminal; silent when output goes to a file or a pipe."""

from __future__ import annotations

import sys
import time
from typing import IO, Any


class ProgressBar:
    """Draw `label [#####-----] 50% 2500/5000` on stderr while it is a terminal."""

    def __init__(self, label: str, stream: IO[str] | None = None, width: int = 30) -> None:
        self.label, self.width = label, width
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        """Show `done` of `total`, at most ten times a second and always at the end."""
        now = time.monotonic()
        if not self.enabled or (done < total and now - self._last < 0.1):
            return
        self._last = now
        share = done / total if total else 1.0
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {share:4.0%} {done}/{total}")
        self.stream.flush()

    def __exit__(self, *exc: Any) -> None:
        if self.enabled and self._last:
            self.stream.write("\n")
            self.stream.flush()
