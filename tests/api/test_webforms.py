"""Web forms end to end over HTTP: publish, submit, double opt-in over real SMTP (W1-W4, CC1-CC4, F6)."""

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.app import create_app
from api.storage import ControllerSettings
from api.storage import schema as t
from tests.conftest import client_for

FORMS = Path(__file__).resolve().parent.parent / "forms" / "data" / "forms"
SUBJECT = "sanne.jansen@example.org"


def example(name):
    return json.loads((FORMS / f"{name}.schema.json").read_text())


@pytest.fixture
def site(mailing, layouts_store):
    services = mailing(
        ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts", "Event_Registrations"))
    )
    with client_for(create_app(services.config, services), layouts_store) as client:
        yield client, services


def publish(client, slug, schema):
    assert client.put(f"/api/v1/forms/{slug}/draft", json={"schema": schema}).status_code == 200
    response = client.post(f"/api/v1/forms/{slug}/publish")
    assert response.status_code == 201, response.text
    return response.json()


def token_of(page):
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


def submit(client, slug, fields, lang="en"):
    page = client.get(f"/f/{slug}?lang={lang}").text
    return client.post(
        f"/f/{slug}?lang={lang}",
        data={"_csrf_token": token_of(page), **fields},
        headers={"referer": "https://www.example.com/newsletter"},
    )


def known_subject(client, record_id):
    """A lead the subject already is, added before any form names their address."""
    data = {"Last_Name": "Jansen", "Company": "ACME", "Email": SUBJECT}
    assert client.post("/api/v1/records", json={"module": "Leads", "id": record_id, "data": data}).status_code == 201


def link_in(smtp):
    body = smtp.inbox.to(SUBJECT)[-1].get_body(("plain",)).get_content()
    return re.search(r"http://testserver\.local(/f/confirm/\S+)", body).group(1)


def test_w2_a_form_the_check_rejects_cannot_be_published(site):
    client, _ = site
    client.put("/api/v1/forms/everything/draft", json={"schema": example("noncompliant_everything_form")})
    response = client.post("/api/v1/forms/everything/publish")
    assert response.status_code == 409 and response.json()["code"] == "form.rejected"
    rules = {p["code"] for p in response.json()["problems"]}
    assert {"form.consent.pre_ticked", "form.personal_fields.over_limit", "form.field.excluded_type"} <= rules
    assert client.get("/f/everything").status_code == 404


def test_w3_w4_double_opt_in_confirms_then_processes_with_proof(site, smtp):
    client, services = site
    version = publish(client, "newsletter", example("newsletter_signup"))
    assert version["version"] == 1
    response = submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    assert response.status_code == 200 and "please confirm your address" in response.text.lower()
    [record] = services.store.records(module="Leads", limit=10)
    assert record.awaiting_confirmation and record.basis == "consent" and record.consent_status == "waiting"
    assert record.source["kind"] == "form" and record.source["page_url"] == "https://www.example.com/newsletter"  # D1
    ask = {"question": "processing", "record_id": record.id}
    assert (
        client.post("/api/v1/decisions", json=ask).json()["effect"] == "deny"
    )  # W3: not processed before confirmation
    link = link_in(smtp)
    page = client.get(link)
    assert page.status_code == 200 and "<button" in page.text
    assert services.store.record(
        record.id
    ).awaiting_confirmation  # opening the link (as a mail scanner does) changes nothing
    confirmed = client.post(link, data={"_csrf_token": token_of(page.text)})
    assert confirmed.status_code == 200 and "confirmed" in confirmed.text
    record = services.store.record(record.id)
    assert not record.awaiting_confirmation and record.consent_status == "obtained"
    assert client.post("/api/v1/decisions", json=ask).json()["decided_by"] == "consent.obtained.allows"
    proof = next(e for e in services.store.timeline(record.id) if e.kind == "consent.proof").detail  # W4
    assert proof["form_version"] == 1 and proof["consents"][0]["text"].startswith("Yes, send me the monthly newsletter")
    assert proof["ip"] and proof["user_agent"] is not None and proof["submitted_at"]


def test_cc1_a_changed_or_reused_token_is_refused_and_changes_nothing(site, smtp):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    link = link_in(smtp)
    assert SUBJECT not in link and "@" not in link  # the link carries only a random token
    page = client.get(link)
    altered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    assert client.get(altered).status_code == 404
    assert client.post(altered, data={"_csrf_token": token_of(page.text)}).status_code == 404
    assert services.store.records(module="Leads", limit=1)[0].awaiting_confirmation
    assert client.post(link, data={"_csrf_token": token_of(page.text)}).status_code == 200
    # A second click is told it is done, and changes nothing more (the link is used once).
    again = client.post(link, data={"_csrf_token": token_of(page.text)})
    assert again.status_code == 200 and "confirmed already" in again.text
    record = services.store.records(module="Leads", limit=1)[0]
    kinds = [e.kind for e in services.store.timeline(record.id)]
    assert kinds.count("double_opt_in.confirmed") == 1


def test_cc2_an_expired_token_is_refused_before_any_sweep(site, smtp, clock):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    link = link_in(smtp)
    page = client.get(link)
    clock.advance(hours=73)  # the token lives 72 hours (parameters: double_opt_in.token_lifetime_hours)
    assert client.get(link).status_code == 410
    assert client.post(link, data={"_csrf_token": token_of(page.text)}).status_code in (403, 410)
    assert services.store.records(module="Leads", limit=1)[0].awaiting_confirmation


def test_cc4_confirming_an_address_is_not_consent(site, smtp):
    client, services = site
    schema = example("newsletter_signup")
    schema["properties"].pop("consent_newsletter")
    schema["required"].remove("consent_newsletter")
    publish(client, "no-box", schema)
    submit(client, "no-box", {"email": SUBJECT, "first_name": "Sanne"})
    link = link_in(smtp)
    client.post(link, data={"_csrf_token": token_of(client.get(link).text)})
    record = services.store.records(module="Leads", limit=1)[0]
    assert (
        not record.awaiting_confirmation
        and record.basis == "not_applicable"
        and record.consent_status == "not_requested"
    )


def test_cc3_a_blocklisted_subject_meets_the_same_check_on_a_form(site, smtp):
    client, services = site
    client.post("/api/v1/blocklist", json={"email": SUBJECT, "reason": "erasure"})
    publish(client, "newsletter", example("newsletter_signup"))
    assert (
        submit(
            client, "newsletter", {"email": SUBJECT.upper(), "first_name": "Sanne", "consent_newsletter": "true"}
        ).status_code
        == 200
    )
    record = services.store.records(module="Leads", limit=1)[0]
    assert any(e.rule_id == "blocklist.match.warns" for e in services.store.timeline(record.id))


def test_w3_unconfirmed_submissions_expire_as_no_response(site, smtp, clock):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    clock.advance(days=31)
    assert client.post("/api/v1/sweep").json() == {"moved": 1, "submissions_expired": 1, "mail_sent": 0}
    record = services.store.records(module="Leads", limit=1)[0]
    assert record.consent_status == "no_response" and record.awaiting_confirmation


def test_invalid_submissions_come_back_with_errors_and_spam_and_floods_are_stopped(site, smtp):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    bad = submit(client, "newsletter", {"email": "a@@b", "first_name": "", "consent_newsletter": ""}, lang="nl")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and 'lang="nl"' in bad.text
    spam = submit(
        client,
        "newsletter",
        {"email": SUBJECT, "first_name": "S", "consent_newsletter": "true", "homepage_url": "http://spam.example"},
    )
    assert spam.status_code == 200 and services.store.count_records() == 0
    forged = client.post("/f/newsletter", data={"_csrf_token": "123.abc", "email": SUBJECT})
    assert forged.status_code == 403
    for i in range(10):
        submit(client, "newsletter", {"email": f"p{i}@example.org", "first_name": "P", "consent_newsletter": "true"})
    late = submit(client, "newsletter", {"email": "late@example.org", "first_name": "L", "consent_newsletter": "true"})
    assert late.status_code == 429 and late.headers["retry-after"] == "600"


def test_resends_are_throttled_and_replace_the_link(site, smtp, clock):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    thanks = submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    first = link_in(smtp)
    action = re.search(r'action="(/f/resend/[^"]+)"', thanks.text).group(1)
    assert client.post(action, data={"_csrf_token": token_of(thanks.text)}).status_code == 429
    clock.advance(minutes=3)
    dutch = client.post(action.replace("lang=en", "lang=nl"), data={"_csrf_token": token_of(thanks.text)})
    assert dutch.status_code == 429 and dutch.headers["retry-after"] == "420"
    assert "Over 7 minuut/minuten kunt u een nieuwe vragen." in dutch.text
    clock.advance(minutes=8)
    assert client.post(action, data={"_csrf_token": token_of(thanks.text)}).status_code == 200
    second = link_in(smtp)
    assert second != first and client.get(first).status_code == 404 and client.get(second).status_code == 200


def test_f6_encrypted_fields_work_in_forms(site, smtp):
    client, services = site
    publish(client, "identity", example("identity_verification"))
    page = client.get("/f/identity").text
    fields = {
        "first_name": "Sanne",
        "last_name": "Jansen",
        "email": SUBJECT,
        "date_of_birth": "1990-04-01",
        "national_id": "123456782",
        "iban": "NL91TEST0417164300",
        "consent_id_check": "true",
    }
    response = client.post("/f/identity", data={"_csrf_token": token_of(page), **fields})
    assert response.status_code == 200, response.text
    record = services.store.records(module="Contacts", limit=1)[0]
    assert record.data["National_ID"] == "123456782"
    with services.store.engine.connect() as c:
        assert "123456782" not in str(c.exec_driver_sql("SELECT data FROM records").all())


def test_embedding_and_versions(site):
    client, _ = site
    publish(client, "newsletter", example("newsletter_signup"))
    schema = example("newsletter_signup")
    schema["title"] = "Monthly newsletter"
    publish(client, "newsletter", schema)
    detail = client.get("/api/v1/forms/newsletter").json()
    assert [v["version"] for v in detail["versions"]] == [1, 2] and detail["form"]["current_version"] == 2
    embed = client.get("/api/v1/forms/newsletter/embed").json()
    assert embed["hosted_url"].endswith("/f/newsletter") and "<iframe" in embed["iframe"]
    snippet = client.get("/f/newsletter/snippet.html").text
    assert snippet.lstrip().startswith("<form") and "Monthly newsletter" in client.get("/f/newsletter").text


def test_a_known_subjects_record_changes_only_after_confirmation(site, smtp):
    client, services = site
    client.post(
        "/api/v1/records",
        json={
            "module": "Leads",
            "id": "K1",
            "data": {"Last_Name": "Jansen", "Company": "ACME", "First_Name": "Sanne", "Email": SUBJECT},
        },
    )
    client.put("/api/v1/records/K1/basis", json={"basis": "contract"})
    publish(client, "newsletter", example("newsletter_signup"))
    before = services.store.record("K1")
    rows_before = len(services.store.timeline("K1"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "HACKED", "consent_newsletter": "true"})
    after = services.store.record("K1")
    assert after.data == before.data and after.basis == "contract" and after.consent_status == before.consent_status
    assert len(services.store.timeline("K1")) == rows_before  # nothing at all happens to it before confirmation
    link = link_in(smtp)
    client.post(link, data={"_csrf_token": token_of(client.get(link).text)})
    confirmed = services.store.record("K1")
    assert (
        confirmed.data["First_Name"] == "HACKED" and confirmed.data["Last_Name"] == "Jansen"
    )  # the form's fixed values never replace data
    assert confirmed.basis == "contract"  # a contract stays the basis; the consent is on the timeline
    assert any(e.kind == "consent.proof" for e in services.store.timeline("K1"))


def test_without_double_opt_in_a_known_subject_still_confirms_before_anything_changes(site, smtp):
    """Anyone can type a known address into a form: a withdrawn consent is not given back, and no
    data changes, until the address's owner confirms, even on a form without double opt-in."""
    client, services = site
    known_subject(client, "K2")
    client.put("/api/v1/records/K2/basis", json={"basis": "consent"})
    ask = {"purpose": "news", "text_en": "May we send you our news by email?"}
    for step, body in (
        ("request", {"channel": "email", "ask": ask}),
        ("answer", {"answer": "obtained", "channel": "email"}),
        ("withdraw", {"channel": "email"}),
    ):
        assert client.post(f"/api/v1/records/K2/consent/{step}", json=body).status_code == 200
    before = services.store.record("K2")
    assert before.consent_status == "withdrawn"
    schema = example("newsletter_signup")
    schema["x-double-opt-in"] = False
    publish(client, "quick", schema)
    page = submit(client, "quick", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    assert page.status_code == 200 and "please confirm your address" in page.text
    after = services.store.record("K2")
    assert after.consent_status == "withdrawn" and after.data == before.data
    link = link_in(smtp)
    client.post(link, data={"_csrf_token": token_of(client.get(link).text)})
    confirmed = services.store.record("K2")
    assert confirmed.consent_status == "obtained" and confirmed.data["First_Name"] == "Sanne"
    assert confirmed.data["Company"] == "ACME"


def test_w3_a_form_with_double_opt_in_but_no_email_cannot_be_published(site):
    client, _ = site
    schema = example("newsletter_signup")
    schema["properties"].pop("email")
    schema["required"].remove("email")
    client.put("/api/v1/forms/no-email/draft", json={"schema": schema})
    response = client.post("/api/v1/forms/no-email/publish")
    assert response.status_code == 409 and "form.double_opt_in.no_email" in {
        p["code"] for p in response.json()["problems"]
    }


def test_ds3_erasure_leaves_nothing_personal_in_submissions_and_ends_their_links(site, smtp):
    client, services = site
    known_subject(client, "K3")
    client.put("/api/v1/records/K3/basis", json={"basis": "consent"})
    publish(client, "newsletter", example("newsletter_signup"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    link = link_in(smtp)
    button = token_of(client.get(link).text)
    request = client.post("/api/v1/rights", json={"kind": "erasure", "email": SUBJECT, "channel": "email"}).json()
    assert client.post(f"/api/v1/rights/{request['id']}/complete", json={}).status_code == 200
    with services.store.engine.connect() as c:
        rows = c.execute(sa.select(t.submissions)).all()
    assert rows and all(
        "pending" not in r.proof and "ip" not in r.proof and "user_agent" not in r.proof and r.token_digest is None
        for r in rows
    )
    assert "Sanne" not in json.dumps([r.proof for r in rows]) and SUBJECT not in json.dumps([r.proof for r in rows])
    page = client.get(link)
    assert page.status_code == 404 and "confirmed" not in page.text.casefold()
    assert client.post(link, data={"_csrf_token": button}).status_code == 404


def test_w3_an_expired_submission_keeps_no_waiting_changes(site, smtp, clock):
    client, services = site
    known_subject(client, "K4")
    publish(client, "newsletter", example("newsletter_signup"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    clock.advance(days=31)
    assert services.submissions.expire() == 1
    with services.store.engine.connect() as c:
        [row] = c.execute(sa.select(t.submissions)).all()
    assert row.status == "expired" and "pending" not in row.proof and "Sanne" not in json.dumps(row.proof)


def test_consent_on_a_form_for_several_people_is_only_the_one_who_filled_it_in(site, smtp):
    """A top-level consent box on a record-per-attendee form is ticked by the person filling it in
    (the first attendee); the others get their records and no consent they did not give."""
    client, services = site
    publish(client, "event", example("event_registration"))
    page = submit(
        client,
        "event",
        {
            "event_name": "Data Day Amsterdam",
            "event_date": "2026-06-01",
            "address[street]": "Kade 1",
            "address[city]": "Amsterdam",
            "address[country]": "NL",
            "attendees[0][last_name]": "Zoe",
            "attendees[0][email]": "zoe@example.org",
            "attendees[1][last_name]": "Wang",
            "attendees[1][email]": "王芳@example.org",
            "marketing_consent": "true",
        },
    )
    assert page.status_code == 200, page.text
    records = {r.data["Attendee_Email"]: r for r in services.store.records(module="Event_Registrations", limit=10)}
    first, second = records["zoe@example.org"], records["王芳@example.org"]
    assert first.consent_status == "obtained" and first.data["Marketing_Consent"] is True
    assert second.consent_status == "not_requested" and "Marketing_Consent" not in second.data
    assert not any(e.kind == "consent.proof" for e in services.store.timeline(second.id))
    assert second.data["City"] == "Amsterdam"  # the shared address is still copied


def test_a_schema_file_can_be_sent_as_it_is(site):
    client, _ = site
    schema = example("newsletter_signup")
    assert client.post("/api/v1/forms/check", json=schema).json()["outcome"].startswith("publishable")
    assert client.put("/api/v1/forms/as-is/draft", json=schema).status_code == 200
    assert client.get("/api/v1/forms/as-is").json()["form"]["draft"] == schema
    odd = client.post("/api/v1/forms/check", json={"title": "x"})
    assert odd.status_code == 400 and 'expected a JSON Schema, or {"schema"' in odd.json()["detail"]
    assert "found an object with title - at $" in odd.json()["detail"]


def test_answers_to_submissions_and_confirmation_pages_are_never_stored(site, smtp):
    """What the subject typed (a form in error) and a link's state (W3) are kept by no browser or proxy."""
    client, _ = site
    publish(client, "newsletter", example("newsletter_signup"))
    form = client.get("/f/newsletter")
    in_error = submit(client, "newsletter", {"email": "sanne@@example", "first_name": "Sanne"})
    thanks = submit(client, "newsletter", {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"})
    link = link_in(smtp)
    page = client.get(link)
    resend = re.search(r'action="(/f/resend/[^"]+)"', thanks.text).group(1)
    answers = [
        in_error,
        thanks,
        page,
        client.post(link, data={"_csrf_token": token_of(page.text)}),
        client.get(link[:-2] + "AA"),
        client.post(resend, data={"_csrf_token": token_of(thanks.text)}),
    ]
    assert [r.status_code for r in answers] == [422, 200, 200, 200, 404, 409]
    assert "sanne@@example" in in_error.text
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.url
    assert "cache-control" not in form.headers  # the empty form holds nothing of anyone's


def test_d1_w4_apps_see_no_address_or_browser_of_a_form_answer(site, smtp):
    """The network address and browser kept as proof of a form answer are for the controller:
    an app key reading the record or its timeline gets every event without them."""
    from tests.conftest import admin_key

    client, services = site
    schema = example("newsletter_signup")
    schema["x-double-opt-in"] = False
    publish(client, "quick", schema)
    submit(client, "quick", {"email": "app.view@example.org", "first_name": "Sanne", "consent_newsletter": "true"})
    [record] = services.store.records_by_unique({"Leads": ["Email"]}, "app.view@example.org")
    app = {"Authorization": f"Bearer {admin_key(services.store, 'app')}"}
    seen = client.get(f"/api/v1/records/{record.id}", headers=app).json()
    assert "ip" not in seen["source"] and seen["source"]["form"] == "quick"
    withheld = {w["field"]: w for w in seen["withheld"]}
    assert withheld["source.ip"]["decided_by"] is None and "proof" in withheld["source.ip"]["reason"]
    events = client.get(f"/api/v1/records/{record.id}/timeline", headers=app).json()
    assert any(e["kind"] == "consent.proof" for e in events)
    assert "testclient" not in json.dumps(events) and '"ip"' not in json.dumps(events)
    whole = client.get(f"/api/v1/records/{record.id}").json()  # the admin sees the proof whole
    assert "ip" in whole["source"] and any(
        "user_agent" in json.dumps(e) for e in client.get(f"/api/v1/records/{record.id}/timeline").json()
    )


def people_form():
    """A Leads form with one record per person, each with a unique email, without double opt-in."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Colleagues",
        "x-crm-module": "Leads",
        "x-crm-record-per-item": "people",
        "x-crm-defaults": {"Company": "Atlas"},
        "x-double-opt-in": False,
        "required": ["people"],
        "properties": {
            "people": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["email", "last_name"],
                    "properties": {
                        "email": {"type": "string", "format": "email", "title": "Email", "x-crm-field": "Email"},
                        "last_name": {"type": "string", "title": "Last name", "x-crm-field": "Last_Name"},
                    },
                },
            }
        },
    }


def test_w3_a_known_subject_named_by_someone_else_on_a_form_for_several_people_is_left_alone(site, smtp):
    """The confirmation goes to the first address: it proves nothing about a known subject named
    further down, whose record must not change when that first address is confirmed."""
    client, services = site
    client.post(
        "/api/v1/records",
        json={"module": "Leads", "id": "V1", "data": {"Last_Name": "Kim", "Company": "ACME", "Email": SUBJECT}},
    )
    publish(client, "group", people_form())
    fields = {
        "people[0][email]": "someone.else@example.net",
        "people[0][last_name]": "Else",
        "people[1][email]": SUBJECT.upper(),
        "people[1][last_name]": "HACKED",
    }
    assert submit(client, "group", fields).status_code == 200
    for message in smtp.inbox.to("someone.else@example.net"):
        link = re.search(r"http://testserver\.local(/f/confirm/\S+)", message.get_body(("plain",)).get_content())
        if link:
            client.post(link.group(1), data={"_csrf_token": token_of(client.get(link.group(1)).text)})
    assert services.store.record("V1").data["Last_Name"] == "Kim" and smtp.inbox.to(SUBJECT) == []


def test_f6_changes_waiting_for_confirmation_are_encrypted_and_not_shown(site, smtp):
    """Values for a known subject wait in the submission, sealed like encrypted fields; nobody reads
    them through the API, and only admins see the address and browser of the answer."""
    from tests.conftest import admin_key

    client, services = site
    known_subject(client, "K5")
    publish(client, "newsletter", example("newsletter_signup"))
    submit(client, "newsletter", {"email": SUBJECT, "first_name": "Zeldzaam", "consent_newsletter": "true"})
    with services.store.engine.connect() as c:
        [row] = c.execute(sa.select(t.submissions)).all()
    assert "Zeldzaam" not in json.dumps(row.proof) and "pending" in row.proof
    marketer = {"Authorization": f"Bearer {admin_key(services.store, 'marketer')}"}
    shown = client.get(f"/api/v1/submissions/{row.id}", headers=marketer).json()
    assert "pending" not in shown["proof"] and "ip" not in shown["proof"] and "user_agent" not in shown["proof"]
    assert "ip" in client.get(f"/api/v1/submissions/{row.id}").json()["proof"]  # the admin
    link = link_in(smtp)
    client.post(link, data={"_csrf_token": token_of(client.get(link).text)})
    assert services.store.record("K5").data["First_Name"] == "Zeldzaam"  # opened again on confirmation


def test_an_answer_too_long_to_keep_is_an_error_on_its_input_in_the_forms_language(site, smtp):
    """The schema sets no maxLength, the CRM keeps at most 32,000 characters: the subject is told,
    next to the input, to shorten it; it is not a broken form to try again later."""
    client, services = site
    schema = example("newsletter_signup")
    schema["properties"]["first_name"].pop("maxLength", None)
    publish(client, "long", schema)
    before = services.store.count_records("Leads")
    page = submit(
        client, "long", {"email": "lang@example.org", "first_name": "x" * 40_000, "consent_newsletter": "true"}, "nl"
    )
    assert page.status_code == 422, page.status_code
    assert 'aria-invalid="true"' in page.text and "is te lang of te groot om te bewaren" in page.text
    assert services.store.count_records("Leads") == before
