"""What a subject reads when a submission has a mistake: one sentence per code, in English and Dutch."""

from __future__ import annotations

from decimal import Decimal

from engine import Lang

MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("Fill in {label}.", "Vul {label} in."),
    "required_choice": ("Choose {label}.", "Kies {label}."),
    "required_when": (
        "Fill in {label}: it is needed when {condition}.",
        "Vul {label} in: dit is nodig als {condition}.",
    ),
    "must_tick": ("Tick this box to agree: {label}", "Vink dit vakje aan om akkoord te gaan: {label}"),
    "not_a_whole_number": ("{label} must be a whole number, like 12.", "{label} moet een heel getal zijn, zoals 12."),
    "not_a_number": ("{label} must be a number, like 12.5.", "{label} moet een getal zijn, zoals 12,5."),
    "decimal_comma": (
        "{label} must use a point for decimals, like 12.5.",
        "{label} moet een komma gebruiken voor decimalen, zoals 12,5.",
    ),
    "thousands_separator": (
        "Write {label} without thousands separators, like 1234.5.",
        "Schrijf {label} zonder scheidingstekens voor duizendtallen, zoals 1234,5.",
    ),
    "email": (
        "{label} must be an email address, like name@example.com.",
        "{label} moet een e-mailadres zijn, zoals naam@example.com.",
    ),
    "date": ("{label} must be a date, like 2025-06-30.", "{label} moet een datum zijn, zoals 2025-06-30."),
    "url": (
        "{label} must be a web address starting with https://.",
        "{label} moet een webadres zijn dat begint met https://.",
    ),
    "format": ("{label} is not in the right format.", "{label} heeft niet de juiste vorm."),
    "too_short": (
        "{label} must be at least {limit} characters long.",
        "{label} moet minstens {limit} tekens lang zijn.",
    ),
    "too_long": (
        "{label} must be at most {limit} characters long.",
        "{label} mag ten hoogste {limit} tekens lang zijn.",
    ),
    "pattern": ("{label} is not in the form asked for.", "{label} heeft niet de gevraagde vorm."),
    "too_small": ("{label} must be at least {limit}.", "{label} moet minstens {limit} zijn."),
    "too_large": ("{label} must be at most {limit}.", "{label} mag ten hoogste {limit} zijn."),
    "not_multiple": ("{label} must be a multiple of {limit}.", "{label} moet een veelvoud van {limit} zijn."),
    "not_an_option": ("Choose one of the options for {label}.", "Kies een van de mogelijkheden voor {label}."),
    "too_few": ("Give at least {limit} for {label}.", "Geef er minstens {limit} op bij {label}."),
    "too_many": ("Give at most {limit} for {label}.", "Geef er ten hoogste {limit} op bij {label}."),
    "not_unique": ("Give each answer only once for {label}.", "Geef elk antwoord maar één keer op bij {label}."),
    "not_storable": (
        "{label} is too long or too large to keep: shorten it.",
        "{label} is te lang of te groot om te bewaren: maak het korter.",
    ),
    "not_allowed": ("{label} has a value that is not allowed.", "{label} heeft een waarde die niet is toegestaan."),
}
# Texts of the page around the form.
PAGE: dict[str, tuple[str, str]] = {
    "summary_title": ("There is a problem", "Er is een probleem"),
    "required": ("required", "verplicht"),
    "error_prefix": ("Error:", "Fout:"),
    "submit": ("Send", "Versturen"),
    "choose": ("Choose…", "Kies…"),
    "honeypot": ("Leave this field empty", "Laat dit veld leeg"),
    "item": ("{label} {number}", "{label} {number}"),
    "lines_help": ("One per line.", "Eén per regel."),
}
_JOIN = {"en": " and ", "nl": " en "}
_IS = {"en": "{label} is {value}", "nl": "{label} {value} is"}


def message(code: str, lang: Lang, *, label: str, limit: object = None, condition: str = "") -> str:
    """Return the sentence for an error code, with the field's label and limit filled in."""
    template = MESSAGES[code][1 if lang == "nl" else 0]
    return template.format(label=quoted(label), limit=number(limit, lang), condition=condition)


def page_text(key: str, lang: Lang, **values: object) -> str:
    """Return one of the texts around a form."""
    return PAGE[key][1 if lang == "nl" else 0].format(**values)


def condition_text(parts: list[tuple[str, str]], lang: Lang) -> str:
    """Say when an if/then applies: “Label” is “value”, joined by and."""
    return _JOIN[lang].join(_IS[lang].format(label=quoted(label), value=quoted(value)) for label, value in parts)


def quoted(text: str) -> str:
    """Put a label or value between quotation marks."""
    return f"“{text}”"


def number(value: object, lang: Lang) -> str:
    """Write a limit the way the language writes numbers."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    text = "" if value is None else str(value)
    return text.replace(".", ",") if lang == "nl" and isinstance(value, Decimal) else text
