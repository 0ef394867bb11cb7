"""Settings checked against the rules (S1, S3, F5, C3, R1), and personal-field marking (F1-F4)."""

import pytest

from api.cli import main


def current(client):
    return client.get("/api/v1/settings").json()


def test_settings_are_admin_only_and_versioned(client, services):
    body = current(client)
    body.update(
        modules=["leads", "Contacts", "Vendors"],
        waiting_period_days=14,
        timezone="Europe/Amsterdam",
        withheld=["export.sensitive", "api.sensitive"],
        dpo={"name": "Privacy Office", "email": "dpo@example.org"},
        data_location={"country": "US", "mechanism": "standard_contractual_clauses", "notes": "hosting provider"},
    )
    saved = client.put("/api/v1/settings", json=body).json()
    assert saved["modules"] == ["Leads", "Contacts", "Vendors"] and saved["version"] == body["version"] + 1
    stale = client.put("/api/v1/settings", json=body)
    assert stale.status_code == 409 and stale.json()["code"] == "settings.changed"
    decision = client.post(
        "/api/v1/decisions",
        json={
            "question": "field_release",
            "module": "Leads",
            "channel": "api",
            "fields": ["Tax_ID"],
            "record": {"basis": "contract"},
        },
    ).json()
    assert decision["decided_by"] == "release.channel_restricted"  # the new preference applies at once
    assert client.get("/api/v1/settings/history").json()[-1]["changed_by"].startswith("key:")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"modules": ["Accounts"]}, "settings.module_not_selectable"),
        ({"modules": ["Leeds"]}, "settings.unknown_module"),
        ({"withheld": ["exports.sensitive"]}, "settings.unknown_channel_pair"),
        ({"waiting_period_days": 400}, "settings.waiting_period"),
        ({"timezone": "Europe/Amsterdan"}, "settings.unknown_timezone"),
        ({"pinned_version": "2025.1"}, "settings.unknown_version"),
        ({"dpo": {"name": "X", "email": "nope"}}, "settings.dpo_email"),
        ({"data_location": {"country": "US", "mechanism": "handshake"}}, "settings.unknown_mechanism"),
    ],
)
def test_settings_the_rules_do_not_allow_are_refused_and_change_nothing(client, change, code):
    before = current(client)
    response = client.put("/api/v1/settings", json={**before, **change})
    assert response.status_code == 400 and response.json()["problems"][0]["code"] == code
    assert current(client) == before


def test_turning_compliance_off_through_settings_resets_bases(client, services):
    client.post("/api/v1/records", json={"module": "Leads", "id": "r1", "data": {"Last_Name": "X", "Company": "Y"}})
    client.put("/api/v1/records/r1/basis", json={"basis": "contract"})
    saved = client.put("/api/v1/settings", json={**current(client), "compliance_enabled": False}).json()
    assert saved["compliance_enabled"] is False
    record = client.get("/api/v1/records/r1").json()
    assert record["basis"] == "not_applicable"
    assert client.get("/api/v1/records/r1/timeline").json()[-1]["rule_id"] == "basis.compliance.turned_off"


def test_marking_fields_through_the_engine(client):
    ok = client.put("/api/v1/modules/leads/fields/Industry", json={"classification": "normal"})
    assert ok.status_code == 200 and ok.json()["decision"]["decided_by"] == "marking.personal.allows"
    assert next(f for f in ok.json()["module"]["fields"] if f["name"] == "Industry")["classification"] == "normal"
    formula = client.put("/api/v1/modules/Leads/fields/Days_Since_Created", json={"classification": "normal"})
    assert formula.status_code == 409 and formula.json()["problems"][0]["code"] == "marking.excluded_type"
    out_of_scope = client.put("/api/v1/modules/Vendors/fields/Email", json={"classification": "sensitive"})
    assert out_of_scope.json()["problems"][0]["code"] == "marking.module_not_in_scope"


def test_the_31st_personal_field_is_refused_subform_fields_counting(client):
    layout = client.get("/api/v1/modules/Contacts").json()
    marked = sum(f["classification"] != "none" for f in layout["fields"])
    candidates = [
        f["name"]
        for f in layout["fields"]
        if f["classification"] == "none"
        and f["type"] not in ("lookup", "ownerlookup", "formula", "autonumber", "subform")
    ]
    for name in candidates[: 30 - marked]:
        assert (
            client.put(f"/api/v1/modules/Contacts/fields/{name}", json={"classification": "normal"}).status_code == 200
        )
    subform_field = next(n for n in candidates[30 - marked :] if n.startswith("Previous_Addresses."))
    refused = client.put(f"/api/v1/modules/Contacts/fields/{subform_field}", json={"classification": "normal"})
    assert refused.status_code == 409 and refused.json()["problems"][0]["code"] == "marking.limit_reached"
    assert "at most 30 personal fields" in refused.json()["detail"]


def test_settings_from_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("LAWFUL_VAR", str(tmp_path))
    assert main(["modules", "load", "/dev/null"]) == 2
    capsys.readouterr()
    from api.demo.layouts import demo_layouts
    from api.storage import Store

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    for layout in demo_layouts():
        store.put_module(layout, "t")
    assert (
        main(["settings", "set", "compliance_enabled=true", "modules=leads,contacts", "timezone=Europe/Amsterdam"]) == 0
    )
    assert '"compliance_enabled": true' in capsys.readouterr().out
    assert main(["settings", "set", "modules=Deals"]) == 2
    assert "settings.module_not_selectable" in capsys.readouterr().err
    assert main(["settings", "set", "colour=blue"]) == 2


def test_a_change_without_the_version_read_is_refused_and_changes_nothing(client, services):
    before = current(client)
    response = client.put("/api/v1/settings", json={})
    assert response.status_code == 409 and response.json()["code"] == "settings.changed"
    assert "found no version" in response.json()["detail"]
    assert current(client) == before and services.store.settings().compliance_enabled is True
