"""The installation's secret key: kept outside the database, created on first start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .files import write_private

ENV = "LAWFUL_SECRET"
FILE = "lawful.secret"


def load_secret(var_dir: Path) -> bytes:
    """Return the secret from $LAWFUL_SECRET (hex), or from var/lawful.secret, creating it if missing.

    Several servers sharing one database must share this secret (the same environment
    variable, or the same file). A new file is mode 0600 (its folder, when made, 0700) and
    appears whole: workers starting at once all read the one that was written first.
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
        write_private(path, (secrets.token_hex(32) + "\n").encode(), exclusive=True)
    return bytes.fromhex(path.read_text().strip())
