"""Rights requests (DS1-DS7) answered over a real SMTP server on loopback."""

import datetime as dt
import json

import pytest

from api.app import create_app
from api.mail import SmtpMailer
from api.storage import ControllerSettings, Dpo
from engine import NotFoundError
from tests.conftest import client_for

SUBJECT = "anouk.veld@example.org"
UTC = dt.timezone.utc


@pytest.fixture
def mailed(mailing, layouts_store):
    services = mailing(
        ControllerSettings(
            compliance_enabled=True,
            modules=("Leads", "Contacts"),
            timezone="Europe/Amsterdam",
            dpo=Dpo(name="Privacy Office", email="dpo@example.org"),
        )
    )
    with client_for(create_app(services.config, services), layouts_store) as client:
        client.post(
            "/api/v1/records",
            json={
                "module": "Leads",
                "id": "L1",
                "data": {
                    "Last_Name": "Veld",
                    "Company": '=HYPERLINK("http://x.example")',
                    "Email": "Anouk.Veld@Example.org",
                    "Tax_ID": "NL1",
                },
            },
        )
        client.put("/api/v1/records/L1/basis", json={"basis": "contract"})
        yield client, services


def receive(client, kind, **extra):
    response = client.post("/api/v1/rights", json={"kind": kind, "email": SUBJECT, "channel": "email", **extra})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2027-01-31T10:00:00+01:00", "2027-02-28"),
        ("2028-01-31T10:00:00+01:00", "2028-02-29"),
        ("2027-03-30T10:00:00+02:00", "2027-04-30"),
        ("2027-01-31T23:30:00Z", "2027-03-01"),  # already 1 February in Amsterdam
    ],
)
def test_cc5_deadline_one_month_later(mailed, smtp, clock, received, due):
    client, _ = mailed
    clock.now = dt.datetime.fromisoformat(received) + dt.timedelta(days=2)  # entered two days after it came in
    request = receive(client, "access", received_at=received)
    assert request["due_on"] == due
    [confirmation] = smtp.inbox.to(SUBJECT)
    assert f"We will answer by {due}" in confirmation.get_body().get_content()


def test_ds1_access_report_by_email_with_sources_bases_and_history(mailed, smtp):
    client, _ = mailed
    request = receive(client, "access")
    report = client.get(f"/api/v1/rights/{request['id']}/report").json()
    [record] = report["records"]
    assert record["id"] == "L1" and record["data"]["Tax_ID"] == "NL1" and record["source"]["kind"] == "api"
    assert record["basis"] == "contract" and record["basis_article"] == "Art. 6(1)(b)"
    assert [e["kind"] for e in record["timeline"]][:2] == ["record.created", "basis.changed"]
    assert report["dpo"]["email"] == "dpo@example.org"
    done = client.post(f"/api/v1/rights/{request['id']}/complete", json={}).json()
    assert done["status"] == "completed" and done["outcome"]["records"] == ["L1"]
    answer = smtp.inbox.to(SUBJECT)[-1]
    attached = json.loads(next(answer.iter_attachments()).get_content())
    assert attached["records"][0]["id"] == "L1" and "Privacy Office" in answer.get_body(("plain",)).get_content()
    assert client.get("/api/v1/records/L1/timeline").json()[-1]["kind"] == "rights.completed"


def test_a_request_from_an_unknown_subject_is_recorded_and_answered(mailed, smtp):
    client, _ = mailed
    request = client.post(
        "/api/v1/rights", json={"kind": "access", "email": "nobody@example.net", "channel": "portal"}
    ).json()
    assert client.post(f"/api/v1/rights/{request['id']}/complete", json={}).json()["status"] == "completed"
    assert "We hold no data about you." in smtp.inbox.to("nobody@example.net")[-1].get_body(("plain",)).get_content()


def test_ds5_portability_sends_csv_and_json_that_spreadsheets_cannot_run(mailed, smtp):
    client, _ = mailed
    layout = client.get("/api/v1/modules/Leads").json()
    fields = [
        {**f, "label": '=HYPERLINK("http://y.example")'} if f["name"] == "Last_Name" else f for f in layout["fields"]
    ]
    assert client.put("/api/v1/modules/Leads", json={**layout, "fields": fields}).status_code == 200
    request = receive(client, "portability")
    client.post(f"/api/v1/rights/{request['id']}/complete", json={})
    parts = list(smtp.inbox.to(SUBJECT)[-1].iter_attachments())
    files = {part.get_filename(): part.get_content() for part in parts}
    assert set(files) == {"my-data.csv", "my-data.json"}
    assert {p.get_filename(): p.get_content_charset() for p in parts}["my-data.csv"] == "utf-8"
    csv_text = (
        files["my-data.csv"] if isinstance(files["my-data.csv"], str) else files["my-data.csv"].decode("utf-8-sig")
    )
    assert "\"'=HYPERLINK(" in csv_text and '"=HYPERLINK(' not in csv_text
    assert '"\'=HYPERLINK(""http://y.example"")"' in csv_text.splitlines()[0]  # a label in the header row
    assert json.loads(files["my-data.json"])[0]["data"]["Company"].startswith("=HYPERLINK")


def test_ds4_restriction_stops_processing(mailed):
    client, _ = mailed
    request = receive(client, "restriction")
    client.post(f"/api/v1/rights/{request['id']}/complete", json={})
    decision = client.post("/api/v1/decisions", json={"question": "processing", "record_id": "L1"}).json()
    assert decision["decided_by"] == "restriction.stops_processing"
    lifted = client.put("/api/v1/records/L1/restriction", json={"restricted": False, "reason": "subject agreed"})
    assert lifted.json()["restricted"] is False


def test_ds2_rectification_records_the_fields_not_the_values(mailed):
    client, services = mailed
    request = receive(client, "rectification", record_id="L1")
    assert client.post(f"/api/v1/rights/{request['id']}/complete", json={}).json()["code"] == "rights.changes_needed"
    client.post(f"/api/v1/rights/{request['id']}/complete", json={"changes": {"Last_Name": "van Veld", "Tax_ID": None}})
    record = client.get("/api/v1/records/L1").json()
    assert record["data"]["Last_Name"] == "van Veld" and "Tax_ID" not in record["data"]
    row = [e for e in client.get("/api/v1/records/L1/timeline").json() if e["kind"] == "record.rectified"][0]
    assert row["detail"]["fields"] == ["Last_Name", "Tax_ID"] and "van Veld" not in json.dumps(row)


def test_ds2_rectification_finds_the_subjects_record_or_asks_which(mailed):
    client, _ = mailed
    only = receive(client, "rectification")
    done = client.post(f"/api/v1/rights/{only['id']}/complete", json={"changes": {"Last_Name": "Veld-Smit"}})
    assert done.status_code == 200 and client.get("/api/v1/records/L1").json()["data"]["Last_Name"] == "Veld-Smit"
    client.post(
        "/api/v1/records", json={"module": "Contacts", "id": "C1", "data": {"Last_Name": "Veld", "Email": SUBJECT}}
    )
    which = receive(client, "rectification")
    url = f"/api/v1/rights/{which['id']}/complete"
    asked = client.post(url, json={"changes": {"Last_Name": "Smit"}}).json()
    assert asked["code"] == "rights.record_needed" and "2 records (" in asked["detail"]
    other = client.post(url, json={"changes": {"Last_Name": "Smit"}, "record_id": "X9"}).json()
    assert other["code"] == "rights.not_the_subjects"
    assert client.post(url, json={"changes": {"Last_Name": "Smit"}, "record_id": "C1"}).status_code == 200
    assert client.get("/api/v1/records/C1").json()["data"]["Last_Name"] == "Smit"
    assert client.get("/api/v1/records/L1").json()["data"]["Last_Name"] == "Veld-Smit"


def test_a_request_cannot_name_another_persons_record(mailed, smtp):
    """The answer goes to the request's address: naming someone else's record would mail their data to it."""
    client, _ = mailed
    client.post(
        "/api/v1/records",
        json={"module": "Contacts", "id": "V1", "data": {"Last_Name": "Doe", "Email": "v@example.org"}},
    )
    client.post("/api/v1/records", json={"module": "Contacts", "id": "N1", "data": {"Last_Name": "Nomail"}})
    for kind in ("access", "erasure", "portability"):
        refused = client.post(
            "/api/v1/rights", json={"kind": kind, "email": "asker@example.net", "channel": "email", "record_id": "V1"}
        )
        assert refused.status_code == 400 and refused.json()["code"] == "rights.not_the_subjects", refused.text
        assert "v@example.org" not in refused.text and "asker@example.net" not in refused.text
    assert client.get("/api/v1/rights").json() == [] and smtp.inbox.to("asker@example.net") == []
    assert receive(client, "access", record_id="L1")["record_id"] == "L1"  # the same address, any case
    assert receive(client, "access", record_id="N1")["record_id"] == "N1"  # nothing to compare: the caller vouches


def test_ds7_extension_up_to_two_months_told_within_the_first(mailed, smtp, clock):
    client, _ = mailed
    request = receive(client, "access", received_at="2026-01-31T10:00:00+01:00")
    too_long = client.post(f"/api/v1/rights/{request['id']}/extend", json={"months": 3, "reason": "many records"})
    assert too_long.json()["code"] == "rights.extension_too_long"
    clock.now = dt.datetime(2026, 2, 20, tzinfo=UTC)
    extended = client.post(
        f"/api/v1/rights/{request['id']}/extend", json={"months": 2, "reason": "records in several systems"}
    ).json()
    assert extended["extended_to"] == "2026-04-30" and extended["extension_reason"] == "records in several systems"
    assert "records in several systems" in smtp.inbox.to(SUBJECT)[-1].get_body(("plain",)).get_content()
    late = receive(client, "access", received_at="2026-01-05T10:00:00+01:00")
    clock.now = dt.datetime(2026, 3, 1, tzinfo=UTC)
    refused = client.post(f"/api/v1/rights/{late['id']}/extend", json={"months": 1, "reason": "late"})
    assert refused.json()["code"] == "rights.too_late_to_extend"
    listed = client.get("/api/v1/rights?status=open").json()
    assert [r["id"] for r in listed][0] == late["id"]  # soonest due first


def test_roles_and_bad_input(mailed, layouts_store):
    client, services = mailed
    with client_for(create_app(services.config, services), layouts_store, "app") as app_client:
        assert (
            app_client.post("/api/v1/rights", json={"kind": "access", "email": SUBJECT, "channel": "email"}).status_code
            == 201
        )
        assert app_client.get("/api/v1/rights").status_code == 403
    assert (
        client.post("/api/v1/rights", json={"kind": "access", "email": "nope", "channel": "email"}).json()["code"]
        == "rights.invalid_email"
    )
    assert client.get("/api/v1/rights/unknown").status_code == 404
    future = client.post(
        "/api/v1/rights",
        json={"kind": "access", "email": SUBJECT, "channel": "email", "received_at": "2026-03-03T10:00:00Z"},
    ).json()
    assert future["code"] == "rights.received_in_future" and future["detail"].endswith("at $.received_at")


def test_the_subject_address_is_encrypted_at_rest(mailed):
    client, services = mailed
    receive(client, "access")
    with services.store.engine.connect() as c:
        assert SUBJECT not in str(c.exec_driver_sql("SELECT * FROM rights_requests").all())


def test_without_smtp_mail_goes_to_the_outbox(client, services, tmp_path):
    request = client.post("/api/v1/rights", json={"kind": "access", "email": SUBJECT, "channel": "email"}).json()
    outbox = list((services.config.var_dir / "outbox").glob("*.eml"))
    assert len(outbox) == 1 and f"To: {SUBJECT}" in outbox[0].read_text() and request["id"][:8] in outbox[0].read_text()


def test_an_unreachable_smtp_server_is_a_clear_error():
    from api.mail import Message
    from engine import LawfulError
    from tests.server import free_port

    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", "a@example.com", timeout=2)
    with pytest.raises(LawfulError, match="did not take the message"):
        mailer.send(Message(to=SUBJECT, subject="x", text="y"))


def test_ds3_erasure_keeps_what_a_legal_ground_requires_and_blocks_the_subject(mailed, smtp):
    client, services = mailed
    client.post(
        "/api/v1/records", json={"module": "Contacts", "id": "C1", "data": {"Last_Name": "Veld", "Email": SUBJECT}}
    )
    request = receive(client, "erasure")
    done = client.post(f"/api/v1/rights/{request['id']}/complete", json={}).json()
    assert done["outcome"]["erased"] == ["C1"] and done["outcome"]["kept"] == {
        "L1": {"Company": "erasure.kept.bookkeeping", "Tax_ID": "erasure.kept.bookkeeping"}
    }
    assert client.get("/api/v1/records/C1").status_code == 404
    kept = client.get("/api/v1/records/L1").json()
    assert set(kept["data"]) == {"Company", "Tax_ID"} and kept["restricted"] is True
    row = client.get("/api/v1/records/L1/timeline").json()[-1]
    assert row["kind"] == "record.erased" and row["detail"]["kept"]["Tax_ID"] == "erasure.kept.bookkeeping"
    mail = smtp.inbox.to(SUBJECT)[-1].get_body(("plain",)).get_content()
    # The subject reads which fields were kept and on which ground, not rule ids.
    assert "- Tax ID: Kept - bookkeeping and tax law" in mail and "(Art. 17(3)(b))" in mail
    assert "erasure.kept" not in mail
    again = client.post(
        "/api/v1/records", json={"module": "Contacts", "data": {"Last_Name": "Veld", "Email": SUBJECT}}
    ).json()
    assert [w["rule"] for w in again["decision"]["warnings"]] == ["blocklist.match.warns"]  # B1: blocked after erasure


def test_ds3_an_erasure_that_fails_half_way_changes_nothing(mailed):
    client, services = mailed
    before = client.get("/api/v1/records/L1").json()
    with pytest.raises(NotFoundError):
        services.store.erase(
            {"L1": None, "missing": None},
            {
                "L1": __import__("api.storage", fromlist=["TimelineRow"]).TimelineRow(
                    kind="record.erased", summary="x", actor="t"
                )
            },
            [],
            "t",
        )
    assert client.get("/api/v1/records/L1").json() == before
    assert client.get("/api/v1/blocklist").json() == []


def test_completing_needs_no_body_when_there_is_nothing_to_give(mailed, smtp):
    client, _ = mailed
    request = receive(client, "access")
    done = client.post(f"/api/v1/rights/{request['id']}/complete")
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
