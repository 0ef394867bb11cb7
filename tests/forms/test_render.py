"""Rendering: accessible without JavaScript, escaped, and what is shown parses back to the defaults."""

from __future__ import annotations

import pytest

from forms import HONEYPOT, load_form, parse_submission, render_form, render_thank_you
from tests.forms.browser import FormPage
from tests.forms.conftest import EXAMPLES, example, example_schema

VISIBLE = ("text", "email", "tel", "url", "number", "date", "checkbox", "select", "textarea")


def _kind(control: dict[str, str]) -> str:
    return control.get("type", control["_tag"]) if control["_tag"] == "input" else control["_tag"]


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_input_has_a_label(name, lang):
    page = FormPage(render_form(example(name), lang=lang, action="/f", csrf_token="t"))
    shown = [c for c in page.controls if _kind(c) in VISIBLE]
    assert shown and all(c.get("id") and page.labels.get(c["id"], "").strip() for c in shown)
    assert len({c["id"] for c in shown}) == len(shown)


@pytest.mark.parametrize("name", EXAMPLES)
def test_errors_are_summarised_and_linked_to_their_inputs(name):
    form = example(name)
    result = parse_submission(form, [])
    page = FormPage(render_form(form, action="/f", csrf_token="t", values=result.values, errors=result.errors))
    assert page.ids["lawful-error-summary-title"]["_tag"] == "h2"
    assert len(page.links) == len(result.errors) > 0
    for link in page.links:
        target = link.removeprefix("#")
        assert target in page.ids
        owner = target if f"{target}-error" in page.ids else target.removesuffix("-0")  # a group of boxes
        assert f"{owner}-error" in page.ids[owner]["aria-describedby"].split()
        assert page.ids[owner]["_tag"] == "fieldset" or page.ids[owner]["aria-invalid"] == "true"


def test_summary_takes_focus_without_javascript():
    form = example("newsletter_signup")
    result = parse_submission(form, [])
    html = render_form(form, action="/f", csrf_token="t", values=result.values, errors=result.errors)
    assert 'role="alert"' in html and 'tabindex="-1" autofocus' in html and "<script" not in html
    assert "<title>Error: Newsletter signup</title>" in html


def test_required_is_marked_in_words_and_as_an_attribute():
    page = FormPage(render_form(example("newsletter_signup"), action="/f", csrf_token="t"))
    assert "(required)" in page.labels["f-email"] and "required" in page.ids["f-email"]
    assert (
        "(required)" not in FormPage(render_form(example("contact_us"), action="/f", csrf_token="t")).labels["f-email"]
    )


def test_consent_boxes_are_never_pre_ticked():
    form = example("noncompliant_everything_form")  # its consent box has default: true
    assert "checked" not in FormPage(render_form(form, action="/f", csrf_token="t")).ids["f-consent_marketing"]


def test_nested_objects_and_array_items_are_fieldsets_with_legends():
    html = render_form(example("event_registration"), action="/f", csrf_token="t")
    page = FormPage(html)
    assert page.ids["f-address"]["_tag"] == "fieldset" and page.ids["f-attendees-0"]["_tag"] == "fieldset"
    assert "<legend>Attendees 1</legend>" in html and page.ids["f-attendees-0-diet-0"]["name"] == "attendees[0][diet]"


def test_labels_and_values_are_escaped():
    form = load_form(
        {
            "type": "object",
            "x-crm-module": "Leads",
            "title": "<script>alert(1)</script>",
            "properties": {"name": {"type": "string", "title": "<script>alert(2)</script>"}},
        }
    )
    html = render_form(form, action='/f?a="x"', csrf_token='"><script>', values=[("name", "<script>alert(3)</script>")])
    assert "<script>" not in html and "&lt;script&gt;alert(2)" in html and "&lt;script&gt;alert(3)" in html


@pytest.mark.parametrize("name", EXAMPLES)
def test_rendered_defaults_parse_back(name):
    form = example(name)
    submitted = FormPage(render_form(form, action="/f", csrf_token="t")).submit()
    indexes = [(n, v) for n, v in submitted if "[" in n]
    assert parse_submission(form, submitted).data == parse_submission(form, indexes or []).data


def test_round_trip_keeps_what_was_typed():
    form = example("b2b_demo_request")
    typed = [
        ("first_name", "Zoë"),
        ("last_name", "Işık"),
        ("work_email", "a@example.com"),
        ("company", "Acme & Co"),
        ("country", "TR"),
        ("company_size", "12"),
        ("industry", "Retail"),
        ("consent_contact", "true"),
    ]
    shown = FormPage(render_form(form, action="/f", csrf_token="t", values=typed)).submit()
    assert parse_submission(form, shown).data == parse_submission(form, typed).data
    assert parse_submission(form, shown).valid


def test_write_only_values_are_not_shown_again():
    form = example("identity_verification")
    result = parse_submission(form, [("national_id", "AB1234567"), ("last_name", "X")])
    html = render_form(form, action="/f", csrf_token="t", values=result.values, errors=result.errors)
    assert "AB1234567" not in html and 'value="X"' in html


def test_honeypot_is_hidden_and_labelled():
    page = FormPage(render_form(example("contact_us"), action="/f", csrf_token="t"))
    trap = next(c for c in page.controls if c.get("name") == HONEYPOT)
    assert trap["tabindex"] == "-1" and page.labels[trap["id"]]


def test_dutch_page_and_embeddable_snippet():
    form = example("newsletter_signup")
    page = render_form(form, lang="nl", action="/f", csrf_token="t")
    assert '<html lang="nl">' in page and "Ja, stuur mij de maandelijkse nieuwsbrief" in page and "(verplicht)" in page
    snippet = render_form(form, action="/f", csrf_token="t", embed=True)
    assert snippet.lstrip().startswith("<form") and "<html" not in snippet and "<body" not in snippet
    assert "<html" not in render_thank_you(form, embed=True) and "Bedankt" in render_thank_you(form, lang="nl")


def test_examples_load_as_they_are():
    for name in EXAMPLES:
        assert example(name).module == example_schema(name)["x-crm-module"]


def test_widgets_follow_type_format_and_x_widget():
    form = load_form(
        {
            "type": "object",
            "x-crm-module": "Leads",
            "properties": {
                "phone": {"type": "string", "x-widget": "tel"},
                "site": {"type": "string", "format": "uri"},
                "born": {"type": "string", "format": "date"},
                "note": {"type": "string", "x-widget": "textarea"},
                "budget": {"type": "number", "multipleOf": 0.01},
                "ok": {"type": "boolean", "default": True},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
    page = FormPage(render_form(form, action="/f", csrf_token="t"))
    assert [
        page.ids[f"f-{n}"].get("type", page.ids[f"f-{n}"]["_tag"])
        for n in ("phone", "site", "born", "note", "budget", "ok", "tags")
    ] == ["tel", "url", "date", "textarea", "number", "checkbox", "textarea"]
    assert page.ids["f-budget"]["step"] == "0.01" and "checked" in page.ids["f-ok"]  # not a consent box
    assert parse_submission(form, [("tags", "a\n\nb ")]).data["tags"] == ["a", "b"]


def test_nested_write_only_values_are_not_shown_again():
    form = load_form(
        {
            "type": "object",
            "x-crm-module": "Contacts",
            "properties": {
                "people": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "passport": {"type": "string", "writeOnly": True}},
                    },
                }
            },
        }
    )
    result = parse_submission(form, [("people[0][name]", "Ann"), ("people[0][passport]", "X1234567")])
    assert result.values == (("people[0][name]", "Ann"),)
    assert "X1234567" not in render_form(form, action="/f", csrf_token="t", values=result.values)
