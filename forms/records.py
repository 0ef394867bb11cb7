"""Turn valid submitted data into the CRM records it creates, by each property's x-crm-field."""

from __future__ import annotations

from engine import Lang

from .messages import message
from .model import Field, Form, JsonValue
from .submission import FieldError, input_name, pointer


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


def stored_value_error(form: Form, crm_field: str, item: int, lang: Lang) -> FieldError | None:
    """The error to show next to the input that wrote `crm_field` into record number `item`, when
    the module cannot keep that value (too long, too large for the CRM), or None if no input wrote it.

    Checked after the schema: a form whose schema sets no maxLength or maximum lets such a value
    through, and the subject is told on the form, in its language, like any other mistake.
    """
    found = _path_of(form.fields, crm_field, (), form.record_per_item, item)
    if found is None:
        return None
    path, field = found
    return FieldError(
        pointer(path), input_name(path), "not_storable", message("not_storable", lang, label=field.label.get(lang))
    )


def _path_of(
    fields: tuple[Field, ...], crm_field: str, prefix: tuple[str | int, ...], per_item: str | None, item: int
) -> tuple[tuple[str | int, ...], Field] | None:
    for field in fields:
        if field.crm_field == crm_field and not field.children:
            return (*prefix, field.name), field
        inner = (*prefix, field.name, item) if field.name == per_item and not prefix else (*prefix, field.name)
        found = _path_of(field.children, crm_field, inner, per_item, item) if field.children else None
        if found is not None:
            return found
    return None
