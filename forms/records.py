"""Turn valid submitted data into the CRM records it creates, by each property's x-crm-field."""

from __future__ import annotations

from .model import Field, Form, JsonValue


def to_records(form: Form, data: dict[str, JsonValue]) -> tuple[dict[str, JsonValue], ...]:
    """Return the records a submission creates: x-crm-defaults plus every mapped value.

    With x-crm-record-per-item, each item of that array is one record, and the values outside
    the array (a shared address, say) are copied to each, except the answers of consent boxes:
    consent is given by a person for themselves, so they go with the first item, the one who
    fills the form in.
    """
    shared = {**form.crm_defaults, **_mapped(form.fields, data, skip=form.record_per_item)}
    per_item = next((f for f in form.fields if f.name == form.record_per_item), None)
    items = data.get(per_item.name) if per_item is not None else None
    if per_item is None or not isinstance(items, list):
        return (shared,)
    boxes = {f.crm_field for f in form.fields if f.consent is not None and f.crm_field}
    others = {k: v for k, v in shared.items() if k not in boxes}
    return tuple(
        {**(shared if index == 0 else others), **_mapped(per_item.children, item)}
        for index, item in enumerate(i for i in items if isinstance(i, dict))
    )


def _mapped(fields: tuple[Field, ...], data: dict[str, JsonValue], skip: str | None = None) -> dict[str, JsonValue]:
    found: dict[str, JsonValue] = {}
    for field in fields:
        value = data.get(field.name)
        if field.name == skip or value is None:
            continue
        if field.widget == "group" and isinstance(value, dict):
            found.update(_mapped(field.children, value))
        elif field.crm_field is not None:
            found[field.crm_field] = value
    return found
