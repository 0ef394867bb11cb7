"""The subject's portal: consent asked by email (C1), answered, withdrawn, data corrected, copied, erased (C5, DS6)."""

import re

import pytest

from api.app import create_app
from api.storage import ControllerSettings
from tests.conftest import client_for

SUBJECT = "daan.visser@example.org"
ASK = {
    "purpose": "news",
    "text_en": "May we email you our product news?",
    "text_nl": "Mogen we u ons productnieuws mailen?",
}


@pytest.fixture
def portal(mailing, layouts_store, smtp):
    services = mailing(ControllerSettings(compliance_enabled=True, modules=("Leads",)))
    with client_for(create_app(services.config, services), layouts_store) as client:
        client.post(
            "/api/v1/records",
            json={
                "module": "Leads",
                "id": "P1",
                "data": {"Last_Name": "Visser", "Company": "ACME", "Email": SUBJECT, "Tax_ID": "NL99"},
            },
        )
        client.put("/api/v1/records/P1/basis", json={"basis": "consent"})
        asked = client.post("/api/v1/records/P1/consent/request", json={"channel": "email", "ask": ASK, "lang": "nl"})
        assert asked.status_code == 200 and asked.json()["consent_status"] == "waiting"
        body = smtp.inbox.to(SUBJECT)[-1].get_body(("plain",)).get_content()
        link = re.search(r"http://testserver\.local(/p/\S+)", body).group(1)
        yield client, services, link, body


def act(client, link, action, **fields):
    page = client.get(link).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    return client.post(link, data={"_csrf_token": token, "action": action, **fields})


def test_c1_the_mail_asks_in_the_exact_words_and_carries_only_a_token(portal):
    client, _, link, body = portal
    assert "Mogen we u ons productnieuws mailen?" in body  # asked in Dutch, as requested
    # only a random token: 32 bytes, URL-safe (it may contain any letters, "P1" among them, by chance)
    assert re.fullmatch(r"/p/[A-Za-z0-9_-]{43}", link) and SUBJECT not in link
    page = client.get(link)
    assert page.status_code == 200 and "Mogen we u ons productnieuws mailen?" in page.text
    assert "NL99" not in page.text  # encrypted fields are not shown on a page anyone with the link can open
    assert client.get(link[:-3] + "xyz").status_code == 404


def test_c5_answer_then_withdraw_in_the_portal(portal):
    client, services, link, _ = portal
    assert act(client, link, "consent_yes").status_code == 200
    record = services.store.record("P1")
    assert record.consent_status == "obtained"
    proof = [e for e in services.store.timeline("P1") if e.kind == "consent.proof"][-1]
    assert proof.detail["request"]["text_en"] == ASK["text_en"] and proof.detail["ip"]
    assert act(client, link, "withdraw").status_code == 200
    assert services.store.record("P1").consent_status == "withdrawn"
    assert [e.rule_id for e in services.store.timeline("P1")][-1] == "consent.withdrawn"


def test_ds6_correct_before_consent_and_erase(portal, smtp):
    client, services, link, _ = portal
    assert act(client, link, "correct", **{"f.Last_Name": "van Visser"}).status_code == 200
    assert services.store.record("P1").data["Last_Name"] == "van Visser"
    assert services.store.record("P1").consent_status == "waiting"  # still no consent, and the data is right
    bad = act(client, link, "correct", **{"f.Date_of_Birth": "1990-02-31"})
    assert bad.status_code == 409 and "Date_of_Birth" not in services.store.record("P1").data
    assert act(client, link, "copy").status_code == 200
    assert any(m.get_filename() == "access-report.json" for m in smtp.inbox.to(SUBJECT)[-1].iter_attachments())
    erased = act(client, link, "erase")
    assert erased.status_code == 200 and "gewist" in erased.text  # the link was mailed in Dutch
    assert client.get(link).status_code == 404
    remaining = services.store.records(ids=["P1"], limit=1)
    assert not remaining  # a consent basis keeps nothing


def test_ds2_the_portal_changes_only_what_it_shows_and_never_who_the_subject_is(portal):
    """The link was mailed to the subject's address: changing that address, then asking for erasure,
    would reach whoever holds the new one. Fields the page does not offer are not written either."""
    client, services, link, _ = portal
    page = client.get(link).text
    assert 'name="f.Email"' not in page and SUBJECT in page and 'name="f.Last_Name"' in page
    forged = {
        "f.Email": "someone.else@example.org",
        "f.Tax_ID": "NL00",
        "f.Lead_Number": "999",
        "f.Company": "Changed",
        "f.Last_Name": "Visser-Bakker",
    }
    assert act(client, link, "correct", **forged).status_code == 200
    data = services.store.record("P1").data
    assert data["Email"] == SUBJECT and data["Tax_ID"] == "NL99" and data["Company"] == "ACME"
    assert "Lead_Number" not in data and data["Last_Name"] == "Visser-Bakker"


def test_a_forged_page_token_changes_nothing(portal):
    client, services, link, _ = portal
    response = client.post(link, data={"_csrf_token": "1.bad", "action": "consent_yes"})
    assert response.status_code == 403 and services.store.record("P1").consent_status == "waiting"


def test_asking_by_email_needs_an_address_and_the_words(portal):
    client, _, _, _ = portal
    client.post("/api/v1/records", json={"module": "Leads", "id": "P2", "data": {"Last_Name": "X", "Company": "Y"}})
    assert (
        client.post("/api/v1/records/P2/consent/request", json={"channel": "email", "ask": ASK}).json()["code"]
        == "consent.no_email"
    )
    assert (
        client.post("/api/v1/records/P1/consent/request", json={"channel": "email"}).json()["code"]
        == "consent.ask_missing"
    )


def test_a_second_click_on_an_answer_changes_nothing(portal):
    client, services, link, _ = portal
    page = client.get(link).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    for _ in range(2):  # the same page sent twice
        response = client.post(link, data={"_csrf_token": token, "action": "consent_yes"})
        assert response.status_code == 200, response.text
    assert services.store.record("P1").consent_status == "obtained"
    kinds = [e.kind for e in services.store.timeline("P1")]
    assert kinds.count("consent.proof") == 1 and kinds.count("consent.refused") == 0


def test_portal_pages_are_never_stored_by_browsers_or_proxies(portal):
    """The portal shows the subject's data (C5, DS6): every answer under /p, errors included, is no-store."""
    client, _, link, _ = portal
    page = client.get(link)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    answers = [
        page,
        client.post(link, data={"_csrf_token": token, "action": "correct", "f.Last_Name": "van Visser"}),
        client.post(link, data={"_csrf_token": "forged", "action": "copy"}),
        client.get(link[:-3] + "xyz"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 403, 404]
    assert "van Visser" in answers[1].text
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.url


def test_ds2_a_failed_correction_is_told_in_the_pages_language_and_keeps_what_was_typed(portal):
    client, services, link, _ = portal  # the link was mailed in Dutch
    response = act(client, link, "correct", **{"f.Last_Name": "Visser-de Wit", "f.Date_of_Birth": "1990-02-31"})
    assert response.status_code == 409
    assert "Er is niets gewijzigd." in response.text and "heeft niet de juiste vorm." in response.text
    assert "Date_of_Birth:" not in response.text  # said by label, not by api name
    assert 'value="Visser-de Wit"' in response.text  # the other correction is shown again, to send once more
    assert services.store.record("P1").data["Last_Name"] == "Visser"
