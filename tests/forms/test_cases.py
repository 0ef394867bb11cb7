"""Cases FC1-FC10: each a whole kind of fault other form products had, named after its case id."""

from __future__ import annotations

from decimal import Decimal

from forms import Form, check_form, load_form, parse_submission, render_form
from tests.forms.browser import FormPage
from tests.forms.conftest import AT_2026_1, module_facts, settings_for


def form(properties: dict, required: tuple[str, ...] = (), **extra: object) -> Form:
    return load_form(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "x-crm-module": "Leads",
            "properties": properties,
            "required": list(required),
            **extra,
        }
    )


COUNTRY = {
    "type": "string",
    "title": "Country",
    "oneOf": [{"const": "NL", "title": "Netherlands"}, {"const": "BE", "title": "Belgium"}],
}


def test_fc1_required_choice_from_labelled_options():
    labelled = form({"country": COUNTRY}, ["country"])
    listed = form({"country": {"type": "string", "title": "Country", "enum": ["NL", "BE"]}}, ["country"])
    result = parse_submission(labelled, [])
    assert [(e.path, e.code) for e in result.errors] == [("/country", "required_choice")]
    assert [e.message for e in result.errors] == [e.message for e in parse_submission(listed, []).errors]
    page = FormPage(render_form(labelled, action="/f", csrf_token="t", values=[], errors=result.errors))
    select = page.ids["f-country"]
    assert (
        select["_tag"] == "select" and select["aria-describedby"] == "f-country-error" and "f-country-error" in page.ids
    )
    assert '<option value="NL">Netherlands</option>' in render_form(labelled, action="/f", csrf_token="t")
    assert parse_submission(labelled, [("country", "BE")]).data == {"country": "BE"}
    assert [e.code for e in parse_submission(labelled, [("country", "XX")]).errors] == ["not_an_option"]


def test_fc2_oneof_used_only_to_validate():
    tens = form({"n": {"type": "integer", "title": "Number", "oneOf": [{"multipleOf": 10}, {"multipleOf": 25}]}})
    html = render_form(tens, action="/f", csrf_token="t")
    page = FormPage(html)
    assert page.ids["f-n"]["_tag"] == "input" and page.ids["f-n"]["type"] == "number" and "<select" not in html
    assert parse_submission(tens, [("n", "30")]).valid
    assert not parse_submission(tens, [("n", "50")]).valid  # matches both branches
    assert not parse_submission(tens, [("n", "7")]).valid


def test_fc3_cleared_text_field():
    result = parse_submission(
        form({"last_name": {"type": "string", "title": "Last name"}}, ["last_name"]), [("last_name", "")]
    )
    assert [(e.path, e.code) for e in result.errors] == [("/last_name", "required")]
    assert "last_name" not in result.data


def test_fc4_optional_formatted_field_left_blank():
    result = parse_submission(form({"email2": {"type": "string", "format": "email"}}), [("email2", "  ")])
    assert result.valid and result.data == {}


def test_fc5_numbers_arrive_as_strings():
    sized = form(
        {
            "size": {
                "type": "integer",
                "title": "Size",
                "oneOf": [{"const": 10, "title": "Ten"}, {"const": 50, "title": "Fifty"}],
            }
        }
    )
    stored = parse_submission(sized, [("size", "10")]).data["size"]
    assert stored == 10 and type(stored) is int
    for wrong in ("10.5", "ten"):
        errors = parse_submission(sized, [("size", wrong)]).errors
        assert [(e.path, e.code) for e in errors] == [("/size", "not_a_whole_number")]
        assert errors[0].message == "“Size” must be a whole number, like 12."
    assert (
        parse_submission(sized, [("size", "ten")], "nl").errors[0].message
        == "“Size” moet een heel getal zijn, zoals 12."
    )


def test_fc6_unchecked_checkbox():
    news = form({"newsletter": {"type": "boolean", "title": "Newsletter"}}, ["newsletter"])
    result = parse_submission(news, [])
    assert result.valid and result.data == {"newsletter": False}
    assert parse_submission(news, [("newsletter", "true")]).data == {"newsletter": True}
    consent = form({"ok": {"type": "boolean", "const": True, "title": "I agree"}}, ["ok"])
    assert [(e.path, e.code) for e in parse_submission(consent, []).errors] == [("/ok", "must_tick")]


def test_fc7_decimals():
    budget = form({"budget": {"type": "number", "multipleOf": 0.01, "title": "Budget"}})
    for typed, exact in (("0.07", "0.07"), ("12.10", "12.10")):
        result = parse_submission(budget, [("budget", typed)])
        assert result.valid and result.data["budget"] == Decimal(exact)
    assert parse_submission(budget, [("budget", "12,5")], "nl").data["budget"] == Decimal("12.5")
    refused = parse_submission(budget, [("budget", "12,5")], "en")
    assert [e.code for e in refused.errors] == ["decimal_comma"] and "budget" not in refused.data
    assert [e.code for e in parse_submission(budget, [("budget", "1.234,5")], "nl").errors] == ["thousands_separator"]
    assert [e.code for e in parse_submission(budget, [("budget", "12.105")]).errors] == ["not_multiple"]


def test_fc8_format_not_checked():
    mail = form({"email": {"type": "string", "format": "email", "title": "Email"}})
    for wrong in ("not-an-email", "a@@b"):
        assert [(e.path, e.code) for e in parse_submission(mail, [("email", wrong)]).errors] == [("/email", "email")]
    assert parse_submission(mail, [("email", "işıl@example.com")]).valid


def test_fc9_if_then_on_a_missing_field(library):
    schema = {
        "pref": {"type": "string", "enum": ["email", "phone"], "title": "Reply by"},
        "phone": {"type": "string", "title": "Phone"},
    }
    conditional = form(schema, **{"if": {"properties": {"pref": {"const": "phone"}}}, "then": {"required": ["phone"]}})
    report = check_form(
        conditional, library.active(AT_2026_1), module_facts("Leads"), settings=settings_for("Leads"), at=AT_2026_1
    )
    assert [(p.rule, p.pointer, p.severity) for p in report.problems if p.rule == "form.condition.unguarded"] == [
        ("form.condition.unguarded", "/if", "warning")
    ]
    errors = parse_submission(conditional, []).errors  # judged as written: the if holds vacuously
    assert [(e.path, e.code) for e in errors] == [("/phone", "required_when")]
    assert errors[0].message == "Fill in “Phone”: it is needed when “Reply by” is “phone”."
    guarded = form(
        schema,
        **{"if": {"properties": {"pref": {"const": "phone"}}, "required": ["pref"]}, "then": {"required": ["phone"]}},
    )
    assert parse_submission(guarded, []).valid
    assert not any(
        p.rule == "form.condition.unguarded"
        for p in check_form(
            guarded, library.active(AT_2026_1), module_facts("Leads"), settings=settings_for("Leads"), at=AT_2026_1
        ).problems
    )


def test_fc10_defaults_inside_arrays():
    attendees = form(
        {
            "attendees": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "properties": {"diet": {"type": "string", "default": "none"}}},
            }
        }
    )
    result = parse_submission(attendees, [("attendees[0][diet]", "")])
    assert result.valid and result.data == {"attendees": [{"diet": "none"}]}
