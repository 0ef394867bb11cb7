"""The form check (W2): the six example forms get their expected outcome, each problem names rule and place."""

from __future__ import annotations

import msgspec
import pytest

from engine import FieldFacts, RequestError, Settings
from forms import check_form, form_facts
from tests.forms.conftest import AT_2026_1, AT_2026_2, EXAMPLES, example, example_schema, module_facts, settings_for


@pytest.mark.parametrize("at", [AT_2026_1, AT_2026_2], ids=["2026.1", "2026.2"])
@pytest.mark.parametrize("marked", [True, False], ids=["marked", "unmarked"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_get_their_expected_outcome(library, name, marked, at):
    form = example(name)
    report = check_form(form, library.active(at), module_facts(form.module, marked), settings=settings_for(), at=at)
    assert report.outcome == example_schema(name)["x-expected-outcome"]
    assert report.decision.ruleset.version == library.active(at).version


def _report(library, name, **options):
    form = example(name)
    return check_form(
        form,
        library.active(AT_2026_1),
        options.pop("module", module_facts(form.module)),
        settings=options.pop("settings", settings_for()),
        at=AT_2026_1,
        **options,
    )


def test_noncompliant_form_names_each_problem(library):
    report = _report(library, "noncompliant_everything_form")
    errors = {(p.rule, p.pointer, p.crm_field) for p in report.problems if p.severity == "error"}
    assert errors == {
        ("form.personal_fields.over_limit", "", None),
        ("form.field.excluded_type", "/properties/days_since_created", "Days_Since_Created"),
        ("form.consent.pre_ticked", "/properties/consent_marketing", None),
        ("form.consent.bundled", "/properties/consent_marketing", None),
    }
    assert all(p.gdpr and p.message for p in report.problems)
    assert [p.severity for p in report.problems] == sorted(
        (p.severity for p in report.problems), key=lambda s: s != "error"
    )


def test_noncompliant_form_writes_thirty_three_personal_fields():
    form = example("noncompliant_everything_form")
    facts = form_facts(form, module_facts("Leads"))
    markable = {
        i.crm_field.name
        for i in facts.items
        if i.kind == "property" and i.crm_field.exists and i.crm_field.type != "formula"
    }
    assert len(markable) == 33


def test_examples_warn_what_their_notes_expect(library):
    event = {
        (p.rule, p.crm_field)
        for p in _report(library, "event_registration", module=module_facts("Event_Registrations", False)).problems
    }
    assert {
        ("form.field.special_category_hint", "Dietary_Requirements"),
        ("form.field.special_category_hint", "Accessibility_Needs"),
    } <= event
    contact = {p.rule for p in _report(library, "contact_us").problems}
    assert contact == {"form.condition.unguarded", "form.field.free_text", "form.consent.none"}
    identity = _report(library, "identity_verification", module=module_facts("Contacts", False))
    assert ("form.field.special_category_hint", "National_ID") in {(p.rule, p.crm_field) for p in identity.problems}
    assert {"National_ID", "IBAN"} <= {p.crm_field for p in identity.notes if p.rule == "form.field.encrypted.allows"}
    newsletter = _report(library, "newsletter_signup")
    assert {p.crm_field for p in newsletter.notes if p.rule == "form.required_field.from_defaults"} == {
        "Last_Name",
        "Company",
    }


def test_messages_come_in_dutch(library):
    report = _report(library, "contact_us", lang="nl")
    assert any("if/then" in p.message and "ontbreekt" in p.message for p in report.problems)


def test_compliance_off_publishes_without_checks(library):
    report = _report(library, "noncompliant_everything_form", settings=Settings(compliance_enabled=False))
    assert report.outcome == "publishable" and {n.rule for n in report.notes} == {"form.compliance_disabled"}


def test_a_module_outside_scope_is_refused(library):
    report = _report(library, "newsletter_signup", settings=settings_for("Contacts"))
    assert report.outcome == "rejected" and [p.rule for p in report.problems] == ["form.module.not_in_scope"]


def test_a_required_module_field_nothing_fills_is_refused(library):
    form = example("newsletter_signup")
    stripped = msgspec.structs.replace(form, crm_defaults={"Lead_Source": "Newsletter"})
    report = check_form(
        stripped, library.active(AT_2026_1), module_facts("Leads"), settings=settings_for(), at=AT_2026_1
    )
    assert {(p.rule, p.pointer) for p in report.problems} == {
        ("form.required_field.missing", "/x-crm-defaults/Last_Name"),
        ("form.required_field.missing", "/x-crm-defaults/Company"),
    }


def test_an_unknown_or_read_only_field_is_refused(library):
    leads = module_facts("Leads")
    renamed = msgspec.structs.replace(
        leads,
        fields=tuple(f for f in leads.fields if f.name != "First_Name")
        + (FieldFacts(name="First_Name", type="text", read_only=True),),
    )
    report = check_form(
        example("newsletter_signup"), library.active(AT_2026_1), renamed, settings=settings_for(), at=AT_2026_1
    )
    assert [p.rule for p in report.problems] == ["form.field.read_only"]
    gone = msgspec.structs.replace(leads, fields=tuple(f for f in leads.fields if f.name != "First_Name"))
    report = check_form(
        example("newsletter_signup"), library.active(AT_2026_1), gone, settings=settings_for(), at=AT_2026_1
    )
    assert [(p.rule, p.pointer) for p in report.problems] == [("form.field.unknown", "/properties/first_name")]


def test_the_layout_must_be_of_the_forms_module(library):
    with pytest.raises(RequestError) as caught:
        check_form(
            example("newsletter_signup"),
            library.active(AT_2026_1),
            module_facts("Contacts"),
            settings=settings_for(),
            at=AT_2026_1,
        )
    assert caught.value.code == "form.module_mismatch"
