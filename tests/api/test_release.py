"""The records API gives callers only what the engine releases on channel api (F5, DS4); admins see every field."""

import re

import msgspec
import pytest
import sqlalchemy as sa

from tests.conftest import client_for

TAX = "NL123456789B01"
BIRTH = "1990-01-02"
LEAD = {
    "Last_Name": "Visser",
    "Company": "ACME",
    "Email": "anna@example.com",
    "Date_of_Birth": BIRTH,
    "Tax_ID": TAX,
    "Industry": "Retail",
}


def add(services, module, record_id, data, basis="contract"):
    services.records.add(module, data, source={"kind": "api"}, actor="t", record_id=record_id)
    if basis is not None:
        services.lifecycles.set_basis(record_id, basis, actor="t")


def withhold_on_api(store, *classifications):
    store.save_settings(
        msgspec.structs.replace(store.settings(), withheld=tuple(f"api.{c}" for c in classifications)), "t"
    )


@pytest.fixture
def lead(services):
    add(services, "Leads", "L1", LEAD)
    return "L1"


@pytest.fixture
def app_client(app, services):
    with client_for(app, services.store, "app") as client:
        yield client


def test_f5_fields_withheld_on_api_are_left_out_and_named_with_their_rule(client, app_client, services, lead):
    withhold_on_api(services.store, "sensitive")
    response = app_client.get(f"/api/v1/records/{lead}")
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"Last_Name": "Visser", "Company": "ACME", "Email": "anna@example.com", "Industry": "Retail"}
    assert TAX not in response.text and BIRTH not in response.text  # Tax_ID is also encrypted at rest (F6)
    reason = "The controller withholds personal data of this classification on this channel."
    assert body["withheld"] == [
        {"field": "Tax_ID", "decided_by": "release.channel_restricted", "reason": reason},
        {"field": "Date_of_Birth", "decided_by": "release.channel_restricted", "reason": reason},
    ]
    # The same answer as the decision endpoint gives for channel api.
    decision = client.post(
        "/api/v1/decisions", json={"question": "field_release", "record_id": lead, "channel": "api"}
    ).json()
    denied = [(f["field"], f["decided_by"]) for f in decision["fields"] if f["effect"] == "deny"]
    assert denied == [(w["field"], w["decided_by"]) for w in body["withheld"]]
    whole = client.get(f"/api/v1/records/{lead}").json()
    assert whole["data"] == LEAD and whole["withheld"] == []


def test_ds4_a_restricted_record_releases_no_personal_field(client, app_client, services, lead):
    assert client.put(f"/api/v1/records/{lead}/restriction", json={"restricted": True}).status_code == 200
    response = app_client.get(f"/api/v1/records/{lead}")
    body = response.json()
    assert body["data"] == {"Company": "ACME", "Industry": "Retail"}
    personal = {f.name for f in services.store.module("Leads").fields if f.classification != "none"}
    assert {w["field"] for w in body["withheld"]} == personal
    assert {w["decided_by"] for w in body["withheld"]} == {"restriction.stops_processing"}
    for value in ("Visser", "anna@example.com", TAX, BIRTH):
        assert value not in response.text
    assert client.get(f"/api/v1/records/{lead}").json()["data"] == LEAD


def test_the_list_answers_each_record_as_its_own_read_does(client, app_client, services, lead):
    add(services, "Leads", "L2", {**LEAD, "Email": "bo@example.com"}, basis=None)  # no basis: nothing personal
    add(services, "Contacts", "C1", {"Last_Name": "Jansen", "Email": "jan@example.com", "Date_of_Birth": BIRTH})
    client.put("/api/v1/records/C1/restriction", json={"restricted": True})
    withhold_on_api(services.store, "sensitive")
    listed = app_client.get("/api/v1/records").json()
    assert [r["id"] for r in listed] == ["C1", "L1", "L2"]
    assert listed == [app_client.get(f"/api/v1/records/{r['id']}").json() for r in listed]
    assert listed[2]["data"] == {"Company": "ACME", "Industry": "Retail"}
    assert {w["decided_by"] for w in listed[2]["withheld"]} == {"basis.none.stops_processing"}
    assert all(r["withheld"] == [] for r in client.get("/api/v1/records").json())


def test_the_list_asks_per_module_not_per_record(app_client, services):
    contact = {"Last_Name": "Jansen", "Date_of_Birth": BIRTH}
    for index in range(30):
        add(
            services,
            "Leads" if index % 2 else "Contacts",
            f"r{index:02}",
            {**(LEAD if index % 2 else contact), "Email": f"p{index}@example.com"},
        )
    app_client.get("/api/v1/records?limit=1")  # the key is verified, and kept for a while
    statements: list[str] = []
    sa.event.listen(services.store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    few = app_client.get("/api/v1/records?limit=4")
    counted = len(statements)
    many = app_client.get("/api/v1/records?limit=30")
    assert len(few.json()) == 4 and len(many.json()) == 30
    assert len(statements) - counted == counted, statements  # 30 records in two modules cost what 4 cost


def test_records_changed_or_added_by_an_app_come_back_released(app_client, services, lead):
    withhold_on_api(services.store, "sensitive")
    changed = app_client.post(f"/api/v1/records/{lead}/consent/request", json={"channel": "phone", "taken_by": "t"})
    assert changed.status_code == 200 and "Date_of_Birth" not in changed.json()["data"]
    assert "Email" in changed.json()["data"]
    added = app_client.post(
        "/api/v1/records", json={"module": "Leads", "id": "L9", "data": {**LEAD, "Email": "cy@example.com"}}
    )
    record = added.json()["record"]
    assert added.status_code == 201 and record["data"] == {"Company": "ACME", "Industry": "Retail"}
    assert {w["field"]: w["decided_by"] for w in record["withheld"]}["Email"] == "basis.none.stops_processing"
    reviews = app_client.get("/api/v1/reviews").json()
    assert all("Date_of_Birth" not in r["data"] for r in reviews)


def test_a_value_of_a_field_the_layout_no_longer_has_is_withheld(app_client, services):
    add(services, "Leads", "L3", {**LEAD, "Nationality": "Dutch"})
    layout = services.store.module("Leads")
    services.store.put_module(
        msgspec.structs.replace(layout, fields=tuple(f for f in layout.fields if f.name != "Nationality")), "t"
    )
    assert services.store.record("L3").data["Nationality"] == "Dutch"  # kept, and now judged by no rule
    body = app_client.get("/api/v1/records/L3").json()
    assert "Nationality" not in body["data"] and "Email" in body["data"]
    assert [w for w in body["withheld"] if w["field"] == "Nationality"] == [
        {
            "field": "Nationality",
            "decided_by": None,
            "reason": "the module's layout no longer has this field, so no rule can release its value",
        }
    ]


def test_s1_with_compliance_off_apps_get_every_field(app_client, services, lead):
    services.lifecycles.switch_compliance(False, "t")
    body = app_client.get(f"/api/v1/records/{lead}").json()
    assert body["data"] == LEAD and body["withheld"] == []


def test_no_route_open_to_other_roles_answers_a_whole_record(app):
    """A regression guard: a record reaches a non-admin caller only as a ReleasedRecord."""
    schema = app.openapi_schema.to_schema()
    components = schema["components"]["schemas"]

    def reached(part, seen):
        for ref in re.findall(r"#/components/schemas/([\w.-]+)", str(part)):
            if ref not in seen:
                seen.add(ref)
                reached(components[ref], seen)
        return seen

    checked = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if operation.get("description", "").endswith("Roles: admin."):
                continue
            names = reached(operation.get("responses", {}), set())
            checked += "ReleasedRecord" in names
            assert "StoredRecord" not in names, (method, path)
    assert checked == 9  # list, one, add, four consent events, basis, reviews
