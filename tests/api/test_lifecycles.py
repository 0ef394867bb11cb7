"""Record lifecycles through the HTTP API: consent, bases, switch, sweep, reviews, timeline."""

import datetime as dt

import pytest

from api.importer import import_csv
from tests.conftest import DATA

UTC = dt.timezone.utc
BY_EMAIL = {"channel": "email", "ask": {"purpose": "news", "text_en": "May we send you our news by email?"}}


@pytest.fixture
def ids(services):
    import_csv(services.store, DATA / "leads_bom_semicolon.csv", "Leads")
    return [r.id for r in services.store.records(module="Leads", limit=20)]


def timeline(client, record_id):
    return client.get(f"/api/v1/records/{record_id}/timeline").json()


def test_c2_consent_request_answer_and_decision(client, services, ids, clock):
    rid = ids[0]
    assert client.put(f"/api/v1/records/{rid}/basis", json={"basis": "consent"}).status_code == 200
    asked = client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL).json()
    assert asked["consent_status"] == "waiting"
    # 30 days (the 2026.1 default) at the same clock time in the controller's zone (UTC here)
    assert asked["consent_deadline"].startswith("2026-04-01T10:00:00")
    decision = client.post("/api/v1/decisions", json={"question": "processing", "record_id": rid}).json()
    assert decision["decided_by"] == "consent.waiting.stops_processing"
    answered = client.post(
        f"/api/v1/records/{rid}/consent/answer", json={"answer": "obtained", "channel": "email"}
    ).json()
    assert answered["consent_status"] == "obtained" and answered["consent_deadline"] is None
    rows = timeline(client, rid)
    assert [r["kind"] for r in rows] == ["record.created", "basis.changed", "consent.changed", "consent.changed"]
    assert [r["rule_id"] for r in rows[1:]] == ["basis.set.consent", "consent.request.sent", "consent.answer.obtained"]
    assert all(r["ruleset_version"] == "2026.1" for r in rows[1:])


def test_c1_refused_phone_answer_names_the_rule_and_changes_nothing(client, ids):
    rid = ids[0]
    client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL)
    response = client.post(f"/api/v1/records/{rid}/consent/answer", json={"answer": "obtained", "channel": "phone"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "lifecycle.refused" and body["problems"][0]["code"] == "consent.answer.obtained"
    assert "(rule consent.answer.obtained)" in body["detail"]
    assert client.get(f"/api/v1/records/{rid}").json()["consent_status"] == "waiting"
    assert timeline(client, rid)[-1]["kind"] == "consent.refused"
    ok = client.post(
        f"/api/v1/records/{rid}/consent/answer", json={"answer": "obtained", "channel": "phone", "taken_by": "agent 7"}
    )
    assert ok.status_code == 200 and timeline(client, rid)[-1]["detail"]["taken_by"] == "agent 7"


def test_c2_no_second_request_after_a_refusal(client, ids):
    rid = ids[0]
    client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL)
    client.post(f"/api/v1/records/{rid}/consent/answer", json={"answer": "denied", "channel": "email"})
    again = client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL)
    assert (
        again.status_code == 409
        and "allow it only from: no_response, not_requested, withdrawn" in again.json()["detail"]
    )


def test_c3_deadline_passes_decisions_then_sweep(client, services, ids, clock):
    rid = ids[0]
    client.put(f"/api/v1/records/{rid}/basis", json={"basis": "consent"})
    client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL)
    clock.advance(days=31)
    decision = client.post("/api/v1/decisions", json={"question": "processing", "record_id": rid}).json()
    assert decision["decided_by"] == "consent.no_response.stops_processing"  # before any sweep
    assert [w["rule"] for w in decision["warnings"]] == ["consent.waiting_period.ended"]
    assert client.get(f"/api/v1/records/{rid}").json()["consent_status"] == "waiting"
    late = client.post(f"/api/v1/records/{rid}/consent/answer", json={"answer": "obtained", "channel": "email"})
    assert late.status_code == 409  # the period is over: the record is no_response, and answers to it are late
    assert client.get(f"/api/v1/records/{rid}").json()["consent_status"] == "no_response"
    assert [r["rule_id"] for r in timeline(client, rid)[-2:]] == [
        "consent.waiting_period.expired",
        "consent.answer.obtained",
    ]


def test_c3_sweep_moves_every_overdue_record_once(client, services, ids, clock):
    for rid in ids[:5]:
        client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL)
    clock.advance(days=10)
    client.post(f"/api/v1/records/{ids[5]}/consent/request", json={"channel": "portal"})
    clock.advance(days=25)
    assert client.post("/api/v1/sweep").json() == {"moved": 5, "submissions_expired": 0, "mail_sent": 0}
    assert client.post("/api/v1/sweep").json() == {"moved": 0, "submissions_expired": 0, "mail_sent": 0}
    statuses = [client.get(f"/api/v1/records/{rid}").json()["consent_status"] for rid in ids[:6]]
    assert statuses == ["no_response"] * 5 + ["waiting"]
    assert timeline(client, ids[0])[-1]["rule_id"] == "consent.waiting_period.expired"
    assert timeline(client, ids[0])[-1]["actor"].startswith("key:test-admin")


def test_c3_a_waiting_period_keeps_the_local_clock_time_across_dst(client, services, ids, clock):
    settings = services.store.settings()
    import msgspec

    services.store.save_settings(
        msgspec.structs.replace(settings, timezone="Europe/Amsterdam", waiting_period_days=14), "t"
    )
    clock.now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam, winter time
    asked = client.post(f"/api/v1/records/{ids[0]}/consent/request", json=BY_EMAIL).json()
    assert asked["consent_deadline"].startswith("2026-04-03T08:00:00")  # 10:00 in Amsterdam, summer time


def test_p2_legitimate_interests_needs_an_assessment(client, ids):
    rid = ids[0]
    refused = client.put(f"/api/v1/records/{rid}/basis", json={"basis": "legitimate_interests"})
    assert refused.status_code == 409 and refused.json()["problems"][0]["code"] == "basis.set.legitimate_interests"
    lia = client.post(
        "/api/v1/lias",
        json={
            "purpose": "Product news to customers",
            "necessity": "No other way",
            "balancing": "Expected by customers",
            "assessed_by": "DPO",
            "assessed_at": "2026-02-01T09:00:00Z",
        },
    ).json()
    done = client.put(
        f"/api/v1/records/{rid}/basis", json={"basis": "legitimate_interests", "lia_id": lia["id"]}
    ).json()
    assert done["basis"] == "legitimate_interests" and done["lia_id"] == lia["id"]
    decision = client.post("/api/v1/decisions", json={"question": "processing", "record_id": rid}).json()
    assert decision["decided_by"] == "basis.legitimate_interests.allows"
    assert (
        client.put(f"/api/v1/records/{rid}/basis", json={"basis": "legitimate_intrests"}).json()["code"]
        == "request.unknown_value"
    )


def test_p6_from_withdrawn_consent_to_legitimate_interests_needs_a_new_assessment(client, ids, clock):
    rid = ids[0]
    old = client.post(
        "/api/v1/lias",
        json={
            "purpose": "p",
            "necessity": "n",
            "balancing": "b",
            "assessed_by": "DPO",
            "assessed_at": "2026-01-01T09:00:00Z",
        },
    ).json()
    client.put(f"/api/v1/records/{rid}/basis", json={"basis": "consent"})
    client.post(f"/api/v1/records/{rid}/consent/given", json={"channel": "portal"})
    clock.advance(days=1)
    client.post(f"/api/v1/records/{rid}/consent/withdraw", json={"channel": "portal"})
    refused = client.put(f"/api/v1/records/{rid}/basis", json={"basis": "legitimate_interests", "lia_id": old["id"]})
    assert (
        refused.status_code == 409 and refused.json()["problems"][0]["code"] == "basis.consent_to_legitimate_interests"
    )
    clock.advance(days=1)
    new = client.post(
        "/api/v1/lias",
        json={
            "purpose": "p",
            "necessity": "n",
            "balancing": "b",
            "assessed_by": "DPO",
            "assessed_at": clock.now.isoformat(),
        },
    ).json()
    assert (
        client.put(
            f"/api/v1/records/{rid}/basis", json={"basis": "legitimate_interests", "lia_id": new["id"]}
        ).status_code
        == 200
    )


def test_p4_bases_for_a_list_and_for_a_filter_then_filtered_listing(client, ids):
    result = client.post("/api/v1/bases", json={"basis": "contract", "ids": ids[:3]}).json()
    assert result == {"changed": ids[:3], "refused": {}}
    result = client.post(
        "/api/v1/bases", json={"basis": "consent", "filter": {"module": "leads", "basis": "not_applicable"}}
    ).json()
    assert len(result["changed"]) > 100 and result["refused"] == {}
    listed = client.get("/api/v1/records?module=Leads&basis=contract&limit=50").json()
    assert [r["id"] for r in listed] == sorted(ids[:3])
    refused = client.post("/api/v1/bases", json={"basis": "legitimate_interests", "ids": ids[:2]}).json()
    assert refused["changed"] == [] and set(refused["refused"]) == set(ids[:2])
    assert client.post("/api/v1/bases", json={"basis": "contract"}).json()["code"] == "request.ambiguous"
    unknown = client.post("/api/v1/bases", json={"basis": "contract", "ids": [ids[3], "no-such-record"]}).json()
    assert unknown["changed"] == [ids[3]] and unknown["refused"] == {
        "no-such-record": "no record 'no-such-record' matches the filter"
    }


def test_p5_records_due_for_review(client, ids, clock):
    client.put(f"/api/v1/records/{ids[0]}/basis", json={"basis": "vital_interests"})  # reviewed every 6 months
    client.put(f"/api/v1/records/{ids[1]}/basis", json={"basis": "contract"})  # every 24 months
    clock.advance(days=200)
    assert [r["id"] for r in client.get("/api/v1/reviews?module=leads").json()] == [ids[0]]


def test_s4_switching_compliance_resets_every_basis_on_its_timeline(client, services, ids):
    client.put(f"/api/v1/records/{ids[0]}/basis", json={"basis": "contract"})
    counts = client.put("/api/v1/compliance", json={"enabled": False}).json()
    assert counts["contract"] == 1 and sum(counts.values()) == services.store.count_records()
    assert client.get(f"/api/v1/records/{ids[0]}").json()["basis"] == "not_applicable"
    assert timeline(client, ids[0])[-1]["rule_id"] == "basis.compliance.turned_off"
    decision = client.post("/api/v1/decisions", json={"question": "processing", "record_id": ids[0]}).json()
    assert decision["decided_by"] == "compliance.disabled"
    client.put("/api/v1/compliance", json={"enabled": True})
    assert timeline(client, ids[1])[-1]["rule_id"] == "basis.compliance.turned_on"
    decision = client.post("/api/v1/decisions", json={"question": "processing", "record_id": ids[0]}).json()
    assert decision["decided_by"] == "basis.none.stops_processing"
    assert client.put("/api/v1/compliance", json={"enabled": True}).json() == {}


def test_many_records_one_after_another_and_ids_that_collide_in_fnv1a(client, services):
    def fnv1a32(text):
        h = 0x811C9DC5
        for byte in text.encode():
            h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
        return h

    a, b = "4150873000000549599", "4150873000000712382"
    assert fnv1a32(a) == fnv1a32(b)  # durable-rules keys sessions by this hash without a check
    for rid in (a, b):
        client.post("/api/v1/records", json={"module": "Leads", "id": rid, "data": {"Last_Name": "X", "Company": "Y"}})
    client.post(f"/api/v1/records/{a}/consent/request", json={"channel": "portal"})
    client.post(f"/api/v1/records/{b}/consent/request", json={"channel": "portal"})
    client.post(f"/api/v1/records/{a}/consent/answer", json={"answer": "obtained", "channel": "email"})
    client.post(f"/api/v1/records/{b}/consent/answer", json={"answer": "denied", "channel": "email"})
    assert client.get(f"/api/v1/records/{a}").json()["consent_status"] == "obtained"
    assert client.get(f"/api/v1/records/{b}").json()["consent_status"] == "denied"


def test_more_than_1024_records_one_after_another(services):
    from api.storage import NewRecord

    store, lifecycles = services.store, services.lifecycles
    rows = [NewRecord(f"bulk{i:05d}", {"Last_Name": "X", "Company": "Y"}, f"h{i}") for i in range(1100)]
    store.upsert_records("Leads", rows, {"kind": "api"}, "t")
    for row in rows:
        assert lifecycles.consent_event(row.id, "request_sent", channel="email", actor="t").consent_status == "waiting"
    assert (
        store.state_counts(
            "consent_status", __import__("api.storage", fromlist=["RecordFilter"]).RecordFilter(module="Leads")
        )["waiting"]
        == 1100
    )


def test_ds4_a_restricted_record_is_not_asked_for_consent_but_may_give_it(client, ids):
    rid = ids[0]
    client.put(f"/api/v1/records/{rid}/basis", json={"basis": "consent"})
    assert client.put(f"/api/v1/records/{rid}/restriction", json={"restricted": True, "reason": "Art. 18"}).is_success
    asked = client.post(f"/api/v1/records/{rid}/consent/request", json=BY_EMAIL)
    assert asked.status_code == 409 and asked.json()["problems"][0]["code"] == "consent.request.sent", asked.text
    record = client.get(f"/api/v1/records/{rid}").json()
    assert record["consent_status"] == "not_requested" and timeline(client, rid)[-1]["kind"] == "consent.refused"
    given = client.post(f"/api/v1/records/{rid}/consent/given", json={"channel": "portal"})
    assert given.status_code == 200 and given.json()["consent_status"] == "obtained"


def test_p4_a_filter_value_no_record_can_have_is_refused(client, ids):
    for key, value in (("basis", "bogus"), ("consent_status", "given")):
        response = client.post("/api/v1/bases", json={"basis": "contract", "filter": {"module": "leads", key: value}})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "request.unknown_value" and f"at $.filter.{key}" in response.json()["detail"]
    assert all(r["basis"] == "not_applicable" for r in client.get("/api/v1/records?module=leads").json())
