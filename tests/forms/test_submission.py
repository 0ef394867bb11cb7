"""Reading submissions: never raises on what a subject sends; spam, repeated names, items, proof of consent."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import HONEYPOT, parse_submission, to_records
from tests.forms.conftest import EXAMPLES, example

FORMS = {name: example(name) for name in EXAMPLES}
NAMES = sorted(
    {
        "email",
        "first_name",
        "company_size",
        "budget",
        "attendees[0][email]",
        "attendees[1][diet]",
        "attendees[x][diet]",
        "address[city]",
        "address",
        "attendees",
        "attendees[0]",
        "attendees[99999999][email]",
        "country",
        "consent_newsletter",
        "[]",
        "a[b",
        HONEYPOT,
        "event_date",
        "message",
        "preferred_contact",
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(EXAMPLES),
    lang=st.sampled_from(["en", "nl"]),
    pairs=st.lists(
        st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=12)), st.text(max_size=30)), max_size=12
    ),
)
def test_parsing_never_raises(name, lang, pairs):
    result = parse_submission(FORMS[name], pairs, lang)
    assert all(e.code and e.message for e in result.errors)
    assert result.valid == (not result.errors and not result.spam)


def test_a_filled_honeypot_is_spam():
    form = FORMS["newsletter_signup"]
    good = [("email", "a@example.com"), ("first_name", "An"), ("consent_newsletter", "true")]
    assert parse_submission(form, good).valid
    caught = parse_submission(form, [*good, (HONEYPOT, "http://spam.example")])
    assert caught.spam and not caught.valid
    assert parse_submission(form, [*good, (HONEYPOT, "")]).valid


def test_unknown_names_are_ignored_and_values_trimmed():
    result = parse_submission(
        FORMS["newsletter_signup"],
        [
            ("email", " a@example.com\u00a0"),
            ("first_name", "An"),
            ("consent_newsletter", "true"),
            ("admin", "1"),
            ("_csrf_token", "x"),
        ],
    )
    assert result.valid and result.data == {"email": "a@example.com", "first_name": "An", "consent_newsletter": True}


def test_items_repeated_names_and_nested_objects():
    form = FORMS["event_registration"]
    pairs = [
        ("event_name", "Data Day Amsterdam"),
        ("event_date", "2025-09-12"),
        ("address[street]", "Dam 1"),
        ("address[city]", "Amsterdam"),
        ("address[country]", "NL"),
        ("attendees[0][last_name]", "Jansen"),
        ("attendees[0][email]", "j@example.com"),
        ("attendees[0][diet]", "Vegan"),
        ("attendees[0][diet]", "Nut allergy"),
        ("attendees[0][photo_consent]", "true"),
        ("attendees[1][last_name]", "Peeters"),
        ("attendees[1][email]", "p@example.org"),
    ]
    result = parse_submission(form, pairs)
    assert result.valid, result.errors
    assert result.data["attendees"] == [
        {
            "last_name": "Jansen",
            "email": "j@example.com",
            "ticket_type": "Standard",
            "diet": ["Vegan", "Nut allergy"],
            "photo_consent": True,
        },
        {
            "last_name": "Peeters",
            "email": "p@example.org",
            "ticket_type": "Standard",
            "diet": ["None"],
            "photo_consent": False,
        },
    ]
    records = to_records(form, result.data)
    assert [r["Attendee_Last_Name"] for r in records] == ["Jansen", "Peeters"]
    assert all(r["City"] == "Amsterdam" and r["Name"] == "Web registration" for r in records)
    # A consent box is answered by the one who fills the form in, the first attendee, for themselves.
    assert records[0]["Marketing_Consent"] is False and "Marketing_Consent" not in records[1]


def test_errors_inside_items_point_at_the_item():
    result = parse_submission(
        FORMS["event_registration"], [("attendees[0][email]", "nope"), ("attendees[1][last_name]", "X")]
    )
    found = {(e.path, e.input, e.code) for e in result.errors}
    assert ("/attendees/0/email", "attendees[0][email]", "email") in found
    assert ("/attendees/0/last_name", "attendees[0][last_name]", "required") in found
    assert ("/attendees/1/email", "attendees[1][email]", "required") in found


def test_ticked_consent_is_recorded_in_the_words_shown():
    form = FORMS["newsletter_signup"]
    result = parse_submission(
        form, [("email", "a@example.com"), ("first_name", "An"), ("consent_newsletter", "true")], "nl"
    )
    [consent] = result.consents
    assert (consent.purposes, consent.version, consent.lang) == (("newsletter",), "2025-06-01", "nl")
    assert consent.text.startswith("Ja, stuur mij")


def test_dutch_messages():
    result = parse_submission(FORMS["newsletter_signup"], [("email", "a@@b")], "nl")
    assert {e.message for e in result.errors} >= {
        "“Email address” moet een e-mailadres zijn, zoals naam@example.com.",
        "Vul “First name” in.",
    }


def test_records_carry_defaults_and_mapped_fields_only():
    form = FORMS["contact_us"]
    result = parse_submission(
        form, [("name", "Jo"), ("message", "Please call me back."), ("preferred_contact", "email")]
    )
    assert result.valid
    assert to_records(form, result.data) == (
        {
            "Lead_Source": "Web Form",
            "Company": "(web enquiry)",
            "Last_Name": "Jo",
            "Description": "Please call me back.",
        },
    )
