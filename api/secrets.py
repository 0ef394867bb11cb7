"""The installation's secret key: kept outside the database, created on first start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV = "LAWFUL_SECRET"
FILE = "lawful.secret"


def load_secret(var_dir: Path) -> bytes:
    """Return the secret from $LAWFUL_SECRET (hex), or from var/lawful.secret, creating it if missing.

    Several servers sharing one database must share this secret (the same environment
    variable, or the same file).
    """
    given = os.environ.get(ENV)
    if given:
        try:
            key = bytes.fromhex(given.strip())
        except ValueError:
            raise SystemExit(
                f"{ENV} must be hex (for example from `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            ) from None
        if len(key) < 32:
            raise SystemExit(f"{ENV} must hold at least 32 bytes (64 hex digits), found {len(key)}")
        return key
    path = var_dir / FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())
