"""Server-side HTML for lawful's own pages: one jinja2 environment, autoescape always on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Response

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
TEXT = {
    "confirm_title": ("Confirm your email address", "Bevestig uw e-mailadres"),
    "confirm_intro": ("Press the button to confirm that this email address is yours and that you filled in the form.",
                      "Druk op de knop om te bevestigen dat dit e-mailadres van u is en dat u het formulier invulde."),
    "confirm_button": ("Confirm my email address", "Bevestig mijn e-mailadres"),
    "confirmed": ("Thank you: your email address is confirmed.", "Bedankt: uw e-mailadres is bevestigd."),
    "expired": ("This link has expired. Fill in the form again, or ask for a new link.",
                "Deze link is verlopen. Vul het formulier opnieuw in, of vraag om een nieuwe link."),
    "unknown": ("This link is not valid, or it has been used already.", "Deze link is niet geldig, of is al gebruikt."),
    "limited": ("Too many forms were sent from your address. Please try again in a few minutes.",
                "Er zijn te veel formulieren vanaf uw adres verstuurd. Probeer het over enkele minuten opnieuw."),
    "refused": ("We cannot accept this form.", "We kunnen dit formulier niet aannemen."),
    "resent": ("We sent you a new link. The previous one no longer works.", "We stuurden u een nieuwe link. De vorige werkt niet meer."),
    "resend": ("Send the confirmation email again", "Stuur de bevestigingsmail opnieuw"),
    "check_mail": ("We sent you an email: please confirm your address with the link in it.",
                   "We stuurden u een e-mail: bevestig uw adres met de link daarin."),
    "back": ("Back to the form", "Terug naar het formulier"),
    "not_found": ("This form does not exist, or is not published.", "Dit formulier bestaat niet, of is niet gepubliceerd."),
    "bad_token": ("This page was open too long, or did not come from us. Please load the form again.",
                  "Deze pagina stond te lang open, of kwam niet van ons. Laad het formulier opnieuw."),
}


def texts(lang: str) -> dict[str, str]:
    """The page texts in English or Dutch."""
    index = 1 if lang == "nl" else 0
    return {key: pair[index] for key, pair in TEXT.items()}


def render(template: str, **context: Any) -> str:
    """Render one of lawful's templates."""
    return _ENV.get_template(template).render(**context)


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """An HTML response with the security headers every page gets."""
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers={**SECURITY_HEADERS, **(headers or {})})
