"""Loading forms: the examples as they are, immutable, and every problem reported at once with its place."""

from __future__ import annotations

import msgspec
import pytest

from forms import FormError, Layout, load_form
from tests.forms.conftest import example, example_schema


def test_a_form_is_immutable_and_owns_its_schema():
    schema = example_schema("newsletter_signup")
    form = load_form(schema)
    schema["properties"]["email"]["format"] = "date"
    assert form.schema["properties"]["email"]["format"] == "email"
    with pytest.raises(AttributeError):
        form.module = "Contacts"  # type: ignore[misc]


def test_the_model_reads_the_x_keywords():
    event = example("event_registration")
    assert (event.module, event.record_per_item, event.double_opt_in) == ("Event_Registrations", "attendees", False)
    assert event.crm_defaults == {"Name": "Web registration"}
    attendees = next(f for f in event.fields if f.name == "attendees")
    assert attendees.widget == "items" and attendees.min_items == 1
    diet = next(f for f in attendees.children if f.name == "diet")
    assert (diet.widget, diet.crm_field, diet.default) == ("checkboxes", "Dietary_Requirements", ["None"])
    box = next(f for f in event.fields if f.name == "marketing_consent")
    assert box.consent.purposes == ("event_marketing",) and box.consent.text.nl.startswith("Stuur mij")
    contact = example("contact_us")
    assert [f.widget for f in contact.fields] == ["text", "email", "text", "select", "textarea"]
    assert next(f for f in contact.fields if f.name == "preferred_contact").crm_field is None


def test_dutch_texts_come_from_x_title_and_fall_back_to_english():
    form = load_form(
        {
            "type": "object",
            "x-crm-module": "Leads",
            "title": "Sign up",
            "x-title": {"nl": "Aanmelden"},
            "properties": {
                "name": {"type": "string", "title": "Name", "x-title": {"nl": "Naam"}},
                "city": {"type": "string", "title": "City"},
            },
        }
    )
    assert form.title.get("nl") == "Aanmelden" and form.fields[0].label.get("nl") == "Naam"
    assert form.fields[1].label.get("nl") == "City"


def test_layout_orders_the_fields():
    form = load_form(example_schema("newsletter_signup"), Layout(order=("first_name",)))
    assert [f.name for f in form.fields] == ["first_name", "email", "consent_newsletter"]


def test_every_problem_is_reported_with_its_pointer():
    with pytest.raises(FormError) as caught:
        load_form(
            {
                "type": "object",
                "properties": {
                    "homepage_url": {"type": "string"},
                    "phone": {"type": "string", "format": "phone"},
                    "note": {"type": "string", "x-widget": "slider"},
                    "box": {"type": "boolean", "x-consent": {"text": {"en": "Yes"}}},
                },
            },
            Layout(order=("nope",)),
        )
    found = {(p.code, p.path) for p in caught.value.problems}
    assert found == {
        ("form.no_module", "/x-crm-module"),
        ("form.reserved_name", "/properties/homepage_url"),
        ("form.unknown_format", "/properties/phone"),
        ("form.unknown_widget", "/properties/note"),
        ("form.invalid_consent", "/properties/box/x-consent"),
        ("form.unknown_property", ""),
    }
    assert caught.value.code == "form.invalid" and caught.value.family == "request"


def test_an_invalid_schema_is_refused():
    with pytest.raises(FormError) as caught:
        load_form(
            {"type": "object", "x-crm-module": "Leads", "properties": {"n": {"type": "integer", "minimum": "ten"}}}
        )
    assert [p.code for p in caught.value.problems] == ["form.invalid_schema"]


def test_the_digest_names_the_schema():
    assert example("contact_us").digest == load_form(msgspec.json.encode(example_schema("contact_us"))).digest
    assert example("contact_us").digest != example("newsletter_signup").digest
