"""How the form check's facts are read from a form's parts, with the lists the rule files give (W2, P3)."""

from __future__ import annotations

import re
from collections.abc import Callable

from .decision import DecisionRequest, FormItemFacts
from .model import Parameters

ItemReader = Callable[[DecisionRequest, FormItemFacts], bool]
ITEM_KINDS = frozenset({"form", "property", "condition", "required_field"})
FILLED_BY = frozenset({"subject", "defaults", "nothing"})


def bind_personal_count(params: Parameters) -> Callable[[DecisionRequest], int]:
    """Count the distinct fields a form writes that can hold personal data (F2, F3)."""
    excluded = frozenset(params.personal_fields.excluded_types)

    def read(req: DecisionRequest) -> int:
        # Every stored answer a subject gives about themself is personal data (S2), so each
        # field that can be marked counts, whether or not it is marked yet.
        return len(
            {
                item.crm_field.name
                for item in req.form.items  # type: ignore[union-attr]
                if item.kind == "property"
                and item.crm_field.name is not None
                and item.crm_field.exists
                and item.crm_field.type not in excluded
            }
        )

    return read


def bind_consent_count(params: Parameters) -> Callable[[DecisionRequest], int]:
    """Count the consent boxes of a form."""

    def read(req: DecisionRequest) -> int:
        return len([item for item in req.form.items if item.consent_box.present])  # type: ignore[union-attr]

    return read


def bind_email_count(params: Parameters) -> Callable[[DecisionRequest], int]:
    """Count the email fields a form stores: where a double opt-in mail can go."""

    def read(req: DecisionRequest) -> int:
        items = req.form.items  # type: ignore[union-attr]
        return sum(1 for i in items if i.crm_field.name and i.crm_field.exists and i.crm_field.type == "email")

    return read


def bind_special_hint(params: Parameters) -> ItemReader:
    """Tell whether a written field's name suggests a special category or national identifier."""
    hints = tuple(hint.lower() for hint in params.forms.special_category_hints)

    def read(req: DecisionRequest, item: FormItemFacts) -> bool:
        name = (item.crm_field.name or "").lower()
        return bool(name) and any(hint in name for hint in hints)

    return read


def _word_starts(markers: list[str]) -> re.Pattern[str] | None:
    if not markers:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(m.lower()) for m in markers) + ")")


def bind_bundled_wording(params: Parameters) -> ItemReader:
    """Tell whether a consent text, in either language, also covers other purposes or terms."""
    en, nl = _word_starts(params.forms.bundling_markers.en), _word_starts(params.forms.bundling_markers.nl)

    def read(req: DecisionRequest, item: FormItemFacts) -> bool:
        box = item.consent_box
        return bool((en and en.search(box.text_en.lower())) or (nl and nl.search(box.text_nl.lower())))

    return read
