"""Where the server finds its database and rules, from the environment or the command line."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

DEFAULT_DATABASE = "sqlite:///var/lawful.db"
# The shipped rules, wherever the command is run from; LAWFUL_RULES points at an installation's own.
DEFAULT_RULES = str(Path(__file__).resolve().parent.parent / "rules" / "gdpr")


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """Server settings that are not compliance settings."""

    database_url: str = DEFAULT_DATABASE
    rules_path: Path = Path(DEFAULT_RULES)
    var_dir: Path = Path("var")
    reload_interval: float = 2.0
    sweep_interval: float = 60.0
    smtp_url: str | None = None
    mail_from: str = "lawful@localhost"
    public_url: str = "http://127.0.0.1:8000"
    form_rate_limit: int = 10

    @property
    def https(self) -> bool:
        """Whether people reach the server over HTTPS, as its public URL says; session cookies are then Secure."""
        return self.public_url.lower().startswith("https://")

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Read LAWFUL_DATABASE_URL, LAWFUL_RULES and LAWFUL_VAR; keyword arguments win."""
        values: dict[str, object] = {
            "database_url": os.environ.get("LAWFUL_DATABASE_URL", DEFAULT_DATABASE),
            "rules_path": Path(os.environ.get("LAWFUL_RULES", DEFAULT_RULES)),
            "var_dir": Path(os.environ.get("LAWFUL_VAR", "var")),
            "sweep_interval": float(os.environ.get("LAWFUL_SWEEP_INTERVAL", "60")),
            "smtp_url": os.environ.get("LAWFUL_SMTP_URL") or None,
            "mail_from": os.environ.get("LAWFUL_MAIL_FROM", "lawful@localhost"),
            "public_url": os.environ.get("LAWFUL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            "form_rate_limit": int(os.environ.get("LAWFUL_FORM_RATE_LIMIT", "10")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
