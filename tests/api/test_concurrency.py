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

from api.app import create_app
from api.storage import ControllerSettings
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
    assert kinds["record.created"] == 1 and kinds["consent.proof"] == PARALLEL  # W4: proof of every submission


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
