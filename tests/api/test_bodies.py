"""Request bodies are decoded strictly, and instants that would overflow the calendar are refused (DS7, A2)."""

import datetime as dt
import json

import msgspec
import pytest

from api.bodies import EARLIEST, LATEST, decode_body
from api.cli import main
from engine import ConsentFacts, RequestError
from tests.conftest import RULES

PROCESSING = {"question": "processing", "module": "Leads"}
RIGHTS = {"kind": "access", "email": "anna@example.com", "channel": "email"}
LIA = {"purpose": "news", "necessity": "needed", "balancing": "fair", "assessed_by": "dpo"}
# Every request body that carries an instant, and where: the decision's `at` (A2) and an inline
# consent deadline (C3), a rights request's receipt (DS7), an assessment (P2); batches below.
INSTANT_BODIES = [
    ("/api/v1/decisions", lambda v: {**PROCESSING, "at": v}, "$.at"),
    (
        "/api/v1/decisions",
        lambda v: {**PROCESSING, "record": {"basis": "consent", "consent": {"status": "waiting", "deadline": v}}},
        "$.record.consent.deadline",
    ),
    ("/api/v1/rights", lambda v: {**RIGHTS, "received_at": v}, "$.received_at"),
    ("/api/v1/lias", lambda v: {**LIA, "assessed_at": v}, "$.assessed_at"),
]
RFC3339 = "expected an RFC 3339 date-time string with its UTC offset, such as 2026-03-01T10:00:00+01:00"


@pytest.mark.parametrize(("path", "body", "where"), INSTANT_BODIES)
@pytest.mark.parametrize(
    ("value", "found"),
    [
        (12345, "found int"),  # lax decoding read this as 1970-01-01T03:25:45Z
        (1.5e9, "found float"),
        ("12345", "found a string that is not one"),
        ("2026-03-01T10:00:00", "found one without"),
        (True, "found bool"),
    ],
)
def test_instants_must_be_rfc3339_strings_with_an_offset(client, path, body, where, value, found):
    response = client.post(path, json=body(value))
    assert response.status_code == 400 and response.json()["code"] == "request.invalid"
    detail = response.json()["detail"]
    assert detail.startswith(RFC3339) and detail.endswith(f"{found} - at {where}"), detail


@pytest.mark.parametrize(("path", "body", "where"), INSTANT_BODIES)
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59Z"])
def test_instants_outside_the_calendar_are_a_400_naming_the_field(client, path, body, where, value):
    response = client.post(path, json=body(value))
    assert response.status_code == 400, response.text  # was a 500 (OverflowError) for the first two
    problem = response.json()
    assert problem["code"] == "request.out_of_range"
    assert problem["detail"] == (
        f"expected an instant from 1900-01-01T00:00:00Z up to 9000-01-01T00:00:00Z, found {value.replace('Z', '+00:00')}"
        f" - at {where}"
    )
    assert problem["problems"] == [
        {"code": "request.out_of_range", "message": problem["detail"][: -len(f" - at {where}")], "path": where}
    ]


@pytest.mark.parametrize("value", [12345, "2026-03-01T10:00:00"])
def test_a_batch_with_an_instant_that_is_not_one_is_refused_whole(client, value):
    response = client.post("/api/v1/decisions/batch", json={"queries": [PROCESSING, {**PROCESSING, "at": value}]})
    assert response.status_code == 400 and response.json()["detail"].startswith(RFC3339)
    assert response.json()["detail"].endswith(" - at $.queries[1].at")


def test_a_batch_query_out_of_the_calendar_fails_on_its_own(client):
    queries = [
        PROCESSING,
        {**PROCESSING, "at": "0001-01-01T00:00:00+14:00"},
        {**PROCESSING, "record": {"consent": {"deadline": "9999-12-31T23:59:59-14:00"}}},
    ]
    body = client.post("/api/v1/decisions/batch", json={"queries": queries}).json()
    assert body["decisions"][0]["effect"] == "deny" and body["decisions"][1:] == [None, None]
    range_ = "expected an instant from 1900-01-01T00:00:00Z up to 9000-01-01T00:00:00Z"
    assert body["errors"] == [
        {"index": 1, "code": "request.out_of_range", "message": f"{range_}, found 0001-01-01T00:00:00+14:00 - at $.at"},
        {
            "index": 2,
            "code": "request.out_of_range",
            "message": f"{range_}, found 9999-12-31T23:59:59-14:00 - at $.record.consent.deadline",
        },
    ]


def test_the_edges_of_the_calendar_are_answered(client):
    early = client.post("/api/v1/rights", json={**RIGHTS, "received_at": "1900-01-01T00:00:00+14:00"})
    assert early.status_code == 400  # 1899-12-31T10:00:00Z in UTC
    early = client.post("/api/v1/rights", json={**RIGHTS, "received_at": "1900-01-01T00:00:00-01:00"})
    assert early.status_code == 201 and early.json()["due_on"] == "1900-02-01"
    late = client.post("/api/v1/decisions", json={**PROCESSING, "at": "8999-12-31T23:59:59-14:00"})
    assert late.status_code == 400  # 9000-01-01T13:59:59Z in UTC
    late = client.post("/api/v1/decisions", json={**PROCESSING, "at": "8999-12-31T23:59:59+14:00"})
    assert late.status_code == 200 and late.json()["at"] == "8999-12-31T23:59:59+14:00"


def test_other_values_are_not_coerced_from_strings_either(client, services):
    before = services.store.settings()
    refused = client.put("/api/v1/compliance", json={"enabled": "0"})  # lax decoding read "0" as false
    assert refused.status_code == 400 and refused.json()["detail"] == "Expected 'bool', got 'str' - at $.enabled"
    assert services.store.settings() == before
    limit = client.post("/api/v1/decisions/batch", json={"queries": "[]"})
    assert limit.status_code == 400 and limit.json()["detail"] == "Expected 'array', got 'str' - at $.queries"


def test_decode_body_finds_instants_wherever_the_type_allows_them():
    class Inner(msgspec.Struct):
        deadline: ConsentFacts
        by_name: dict[str, dt.datetime] = {}

    class Outer(msgspec.Struct):
        items: list[Inner | None]
        note: str = ""

    early = "0001-01-01T00:00:00+14:00"
    raw = json.dumps(
        {"items": [None, {"deadline": {"deadline": early}, "by_name": {"a": "2026-01-01T00:00:00Z", "b": early}}]}
    )
    with pytest.raises(RequestError) as refused:
        decode_body(raw.encode(), Outer)
    assert [p.path for p in refused.value.problems] == ["$.items[1].deadline.deadline", "$.items[1].by_name.b"]
    assert decode_body(b'{"items": [], "note": "0001-01-01T00:00:00+14:00"}', Outer).note.startswith("0001")
    assert EARLIEST < LATEST


def test_lawful_decide_refuses_the_same(tmp_path, capsys):
    request = tmp_path / "req.json"
    body = {"question": "processing", "module": {"name": "Leads"}, "record": {"basis": "public_task"}}
    for at, expected in (
        (12345, f"error: request.invalid: {RFC3339}, found int - at $.at"),
        ("0001-01-01T00:00:00+14:00", "error: request.out_of_range: expected an instant from 1900-01-01T00:00:00Z"),
    ):
        request.write_text(json.dumps({**body, "at": at}))
        code = main(["decide", str(request), "--rules", str(RULES), "--version", "2026.1"])
        assert code == 2 and capsys.readouterr().err.startswith(expected)
