"""Writers at the same moment, on SQLite and PostgreSQL: clean answers, nothing lost, limits that hold.

Each test starts its requests on real threads that wait at a barrier, so they reach the store
together; the litestar test client runs each handler on a worker thread, as a server does.
"""

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from api.app import create_app
from api.storage import ControllerSettings
from api.storage import schema as t
from tests.api.test_webforms import example, publish, token_of
from tests.conftest import client_for

PARALLEL = 20
SUBJECT = "parallel.subject@example.org"


def all_at_once(count: int, call: Callable[[int], Any]) -> list[Any]:
    """Run `call(i)` for i in range(count) on `count` threads released together; return the results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def site(mailing, layouts_store):
    services = mailing(ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts")))
    services.submissions.rate_limit = 1000  # these tests are about one subject, not about the per-address limit
    with client_for(create_app(services.config, services), layouts_store) as client:
        yield client, services


def test_parallel_adds_of_one_email_give_one_record_and_409_conflicts(site):
    client, services = site

    def add(index: int) -> Any:
        data = {"Last_Name": f"Parallel {index}", "Company": "Example", "Email": SUBJECT}
        return client.post("/api/v1/records", json={"module": "Leads", "data": data})

    responses = all_at_once(PARALLEL, add)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: PARALLEL - 1}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"record.conflict"}
    assert len(services.store.records_by_unique({"Leads": ["Email"]}, SUBJECT)) == 1


def submit_all_at_once(client, slug: str, fields: dict[str, str]) -> list[Any]:
    token = token_of(client.get(f"/f/{slug}").text)
    return all_at_once(PARALLEL, lambda _: client.post(f"/f/{slug}", data={"_csrf_token": token, **fields}))


def test_w3_parallel_double_opt_in_submissions_of_one_new_subject_all_succeed(site, smtp):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    fields = {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"}
    responses = submit_all_at_once(client, "newsletter", fields)
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses if r.status_code != 200]
    [record] = services.store.records_by_unique({"Leads": ["Email"]}, SUBJECT)
    assert record.awaiting_confirmation and record.consent_status == "waiting"  # W3: not processed yet
    assert len(smtp.inbox.to(SUBJECT)) == PARALLEL  # every submission asks for its own confirmation


def test_w4_parallel_submissions_without_double_opt_in_all_succeed_with_consent_once(site):
    client, services = site
    publish(client, "demo", example("b2b_demo_request"))
    fields = {
        "last_name": "Jansen",
        "work_email": SUBJECT,
        "company": "Example",
        "country": "NL",
        "company_size": "12",
        "consent_contact": "true",
    }
    responses = submit_all_at_once(client, "demo", fields)
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses if r.status_code != 200]
    [record] = services.store.records_by_unique({"Leads": ["Email"]}, SUBJECT)
    assert record.basis == "consent" and record.consent_status == "obtained"
    kinds = Counter(e.kind for e in services.store.timeline(record.id))
    assert kinds["record.created"] == 1 and kinds["consent.proof"] == 1
    # The others found the subject known: their consent waits, with its proof, for the address's
    # owner to confirm (W4), as for any submission naming a known subject.
    with services.store.engine.connect() as c:
        statuses = Counter(row.status for row in c.execute(sa.select(t.submissions)))
    assert statuses == {"stored": 1, "pending": PARALLEL - 1}


def test_parallel_submissions_from_one_address_store_no_more_than_its_limit(site):
    client, services = site
    services.submissions.rate_limit = 10
    publish(client, "newsletter", example("newsletter_signup"))

    # The service is called from 30 threads at once: the test client would run at most a few
    # handlers at a time (its worker threads), too few to show a limit passed on SQLite.
    def submit(index: int) -> str:
        fields = [("email", f"p{index}@example.org"), ("first_name", "P"), ("consent_newsletter", "true")]
        result = services.submissions.submit(
            "newsletter", fields, lang="en", ip="192.0.2.1", user_agent="test", page_url="https://example.com/"
        )
        return result.outcome

    assert Counter(all_at_once(30, submit)) == {"thanks": 10, "limited": 20}
    assert services.store.count_records("Leads") == 10


def test_a_submission_that_stores_nothing_does_not_count_against_the_limit(site):
    client, services = site
    services.submissions.rate_limit = 2
    publish(client, "newsletter", example("newsletter_signup"))
    token = token_of(client.get("/f/newsletter").text)

    def submit(email: str) -> int:
        fields = {"email": email, "first_name": "P", "consent_newsletter": "true"}
        return client.post("/f/newsletter", data={"_csrf_token": token, **fields}).status_code

    assert [submit("not an address") for _ in range(3)] == [422] * 3
    assert [submit("a@example.org"), submit("b@example.org"), submit("c@example.org")] == [200, 200, 429]


def test_w3_parallel_resends_send_one_link_and_count_every_send(site, smtp, clock):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    token = token_of(client.get("/f/newsletter").text)
    fields = {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"}
    thanks = client.post("/f/newsletter", data={"_csrf_token": token, **fields})
    [submission_id] = re.findall(r'action="/f/resend/([^"?]+)', thanks.text)
    clock.advance(minutes=11)  # past the resend interval: one new link may go
    resend = {"_csrf_token": token_of(thanks.text)}
    responses = all_at_once(PARALLEL, lambda _: client.post(f"/f/resend/{submission_id}", data=resend))
    assert Counter(r.status_code for r in responses) == {200: 1, 429: PARALLEL - 1}
    assert len(smtp.inbox.to(SUBJECT)) == 2  # the first link and the one resent
    assert services.store.submission(submission_id).sends == 2


def test_cc1_parallel_clicks_on_the_confirm_button_confirm_once_and_each_is_told_so(site, smtp):
    client, services = site
    publish(client, "newsletter", example("newsletter_signup"))
    token = token_of(client.get("/f/newsletter").text)
    fields = {"email": SUBJECT, "first_name": "Sanne", "consent_newsletter": "true"}
    assert client.post("/f/newsletter", data={"_csrf_token": token, **fields}).status_code == 200
    body = smtp.inbox.to(SUBJECT)[-1].get_body(("plain",)).get_content()
    link = re.search(r"http://testserver\.local(/f/confirm/\S+)", body).group(1)
    button = {"_csrf_token": token_of(client.get(link).text)}
    responses = all_at_once(10, lambda _: client.post(link, data=button))
    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses if r.status_code != 200]
    [record] = services.store.records_by_unique({"Leads": ["Email"]}, SUBJECT)
    assert record.consent_status == "obtained" and not record.awaiting_confirmation
    assert [e.kind for e in services.store.timeline(record.id)].count("double_opt_in.confirmed") == 1
