"""The HTTP API: decisions about stored records and inline facts, problems, rulesets, OpenAPI."""

import re
import shutil

import pytest

from api.app import Services, create_app
from api.config import Config
from api.importer import import_csv
from api.rules_host import RulesHost
from api.storage import ControllerSettings
from tests.conftest import DATA, RULES, client_for


@pytest.fixture
def imported(services):
    import_csv(services.store, DATA / "leads_bom_semicolon.csv", "Leads")
    return services.store.records(module="Leads", limit=5)


def test_decision_about_an_imported_record(client, services, imported):
    record = imported[0]
    services.lifecycles.set_basis(record.id, "consent", actor="t")
    services.lifecycles.consent_event(record.id, "consent_given", channel="portal", actor="t")
    response = client.post(
        "/api/v1/decisions",
        json={
            "question": "field_release",
            "record_id": record.id,
            "channel": "export",
            "fields": ["Email", "Date_of_Birth", "Industry"],
            "at": "2026-03-02T10:00:00Z",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["record_id"] == record.id and body["effect"] == "deny"
    assert {f["field"]: (f["effect"], f["decided_by"]) for f in body["fields"]} == {
        "Email": ("allow", "consent.obtained.allows"),
        "Date_of_Birth": ("deny", "release.channel_restricted"),
        "Industry": ("allow", "scope.field_not_personal"),
    }
    assert body["ruleset"]["version"] == "2026.1" and body["ruleset"]["digest"].startswith("sha256:")
    assert body["reasons"][0]["gdpr"] == "Art. 25(2)"


def test_processing_defaults_to_now_and_new_records_have_no_basis(client, imported):
    body = client.post("/api/v1/decisions", json={"question": "processing", "record_id": imported[1].id}).json()
    assert body["effect"] == "deny" and body["decided_by"] == "basis.none.stops_processing"
    assert body["at"].startswith("2026-03-02T10:00:00")  # the store's clock


def test_inline_facts_and_pinned_version(client):
    body = client.post(
        "/api/v1/decisions",
        json={
            "question": "field_release",
            "module": "contacts",
            "channel": "third_party_apps",
            "fields": ["National_ID"],
            "record": {"basis": "contract"},
            "at": "2026-08-01T00:00:00Z",
            "ruleset_version": "2026.1",
        },
    ).json()
    assert body["ruleset"]["version"] == "2026.1" and body["decided_by"] == "release.channel_restricted"


def test_field_marking_question(client):
    body = client.post(
        "/api/v1/decisions",
        json={
            "question": "field_marking",
            "module": "Leads",
            "field": "Days_Since_Created",
            "classification": "normal",
        },
    ).json()
    assert body["effect"] == "deny" and body["decided_by"] == "marking.excluded_type"


@pytest.mark.parametrize(
    ("payload", "status", "code", "detail"),
    [
        ({"question": "processing", "record_id": "404"}, 404, "record.unknown", "no record has id '404'"),
        (
            {"question": "processing"},
            400,
            "request.missing",
            "expected record_id (a stored record) or module (with facts given inline), found neither - at $.module",
        ),
        (
            {"question": "field_relase", "record_id": "1"},
            400,
            "request.invalid",
            "expected one of erasure, field_marking, field_release, form_check, processing, record_add, found 'field_relase' - at $.question",
        ),
        ({"question": "processing", "module": "Leads", "at": "2026-03-01T10:00:00"}, 400, "request.invalid", None),
        ({"question": "field_release", "module": "Leads", "channel": "exprt"}, 400, "request.unknown_value", None),
        (
            {"question": "field_release", "module": "Leads", "channel": "api", "fields": ["Emial"]},
            400,
            "request.unknown_field",
            "module Leads has no field 'Emial' - did you mean 'Email'? - at $.fields[0]",
        ),
        ({"question": "processing", "module": "Leeds"}, 404, "module.unknown", None),
        (
            {"question": "processing", "module": "Leads", "bogus": 1},
            400,
            "request.invalid",
            "Object contains unknown field 'bogus' - at $",
        ),
    ],
)
def test_bad_requests_get_problem_json(client, payload, status, code, detail):
    response = client.post("/api/v1/decisions", json=payload)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["type"] == f"urn:lawful:problem:{code}"
    if detail is not None:
        assert body["detail"] == detail


def test_malformed_json_body(client):
    response = client.post("/api/v1/decisions", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "request.invalid"


def test_batch_answers_each_and_reports_failures_by_index(client, imported):
    queries = [{"question": "processing", "record_id": r.id} for r in imported] + [
        {"question": "processing", "record_id": "nope"}
    ]
    body = client.post("/api/v1/decisions/batch", json={"queries": queries}).json()
    assert len(body["decisions"]) == len(queries)
    assert body["decisions"][-1] is None
    assert body["errors"] == [{"index": len(imported), "code": "record.unknown", "message": "no record has id 'nope'"}]


def test_rulesets_listing_and_diff(client):
    body = client.get("/api/v1/rulesets").json()
    assert body["name"] == "gdpr" and body["active"] == "2026.1"  # the store's clock says March 2026
    assert [v["version"] for v in body["versions"]] == ["2026.1", "2026.2"]
    diff = client.get("/api/v1/rulesets/2026.1/diff/2026.2").json()
    assert diff["added"] == ["release.sensitive.third_party.never"]
    assert client.get("/api/v1/rulesets/2099.1").json()["code"] == "ruleset.unknown_version"


def test_records_timeline_and_modules(client, imported):
    record = imported[0]
    assert client.get(f"/api/v1/records/{record.id}").json()["source"]["kind"] == "import"
    assert [e["kind"] for e in client.get(f"/api/v1/records/{record.id}/timeline").json()] == ["record.created"]
    assert client.get("/api/v1/records?module=leads&limit=2").status_code == 200
    assert "Leads" in client.get("/api/v1/modules").json()


def test_a_layout_whose_marking_the_rules_refuse_is_refused_whole(client):
    layout = client.get("/api/v1/modules/Leads").json()
    for field in layout["fields"]:
        if field["name"] == "Days_Since_Created":
            field["classification"] = "normal"
    response = client.put("/api/v1/modules/Leads", json=layout)
    assert response.status_code == 400 and response.json()["code"] == "layout.marking_refused"
    assert response.json()["problems"][0]["code"] == "marking.excluded_type"
    assert client.get("/api/v1/modules/Leads").json()["layout_version"] == layout["layout_version"]


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/api/v1/decisions", "/api/v1/decisions/batch", "/api/v1/rulesets"} <= set(paths)


def test_a_broken_rule_edit_keeps_the_last_good_ruleset(tmp_path, layouts_store, monkeypatch):
    monkeypatch.setattr("api.rules_host.SETTLE_SECONDS", 0)
    layouts_store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads",)), "test")
    rules = tmp_path / "gdpr"
    shutil.copytree(RULES, rules)
    host = RulesHost(rules)
    services = Services(Config(database_url="unused://", rules_path=rules), store=layouts_store, rules=host)
    with client_for(create_app(services.config, services), layouts_store) as client:
        path = rules / "2026.1" / "processing.yaml"
        path.write_text(path.read_text().replace('record.basis == "contract"', 'record.bassis == "contract"'))
        assert host.reload_if_changed() is False
        body = client.get("/api/v1/rulesets").json()
        assert body["reload_problems"][0]["code"] == "unknown_fact"
        decision = client.post(
            "/api/v1/decisions", json={"question": "processing", "module": "Leads", "record": {"basis": "contract"}}
        ).json()
        assert decision["decided_by"] == "basis.contract.allows"
        path.write_text(path.read_text().replace("record.bassis", "record.basis"))
        assert host.reload_if_changed() is True
        assert client.get("/api/v1/rulesets").json().get("reload_problems") is None


@pytest.fixture
def watched(tmp_path, monkeypatch):
    monkeypatch.setattr("api.rules_host.SETTLE_SECONDS", 0)
    rules = tmp_path / "gdpr"
    shutil.copytree(RULES, rules)
    return rules, RulesHost(rules)


@pytest.mark.parametrize("damage", ["impossible_date", "truncated", "removed", "deep"])
def test_reload_keeps_the_last_good_versions_whatever_the_damage(watched, damage):
    rules, host = watched
    good = {v.version: v.digest for v in host.library.versions}
    target = rules / "2026.2" / "processing.yaml"
    if damage == "impossible_date":
        path = rules / "2026.2" / "tests" / "processing.yaml"
        path.write_text(path.read_text().replace("at: 2026-03-01T09:00:00Z", "at: 2026-02-30T09:00:00Z", 1))
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:3000].rsplit(b"\n  - id:", 1)[0] + b"\n")
    elif damage == "removed":
        (rules / "2026.2" / "release.yaml").unlink()
    else:
        target.write_text(
            target.read_text().replace("when: record.restricted", "when: " + "not " * 5000 + "record.restricted")
        )
    assert host.reload_if_changed() is False
    assert {v.version: v.digest for v in host.library.versions} == good
    assert host.last_error is not None and host.last_error.problems


@pytest.mark.parametrize(
    ("payload", "code", "detail_end"),
    [
        (
            {"question": "field_release", "module": "Leads", "channel": "api", "fields": []},
            "request.missing",
            "at $.fields",
        ),
        (
            {"question": "field_release", "module": "Leads", "channel": "api", "fields": ["Email", "Email"]},
            "request.repeated_field",
            "at $.fields[1]",
        ),
        (
            {"question": "field_marking", "module": "Leads", "field": "Emial", "classification": "normal"},
            "request.unknown_field",
            "at $.field",
        ),
        (
            {"question": "processing", "module": "Leads", "at": "9999-12-31T23:00:00-01:00"},
            "request.out_of_range",
            "at $.at",
        ),
    ],
)
def test_more_bad_requests(client, payload, code, detail_end):
    body = client.post("/api/v1/decisions", json=payload).json()
    assert body["code"] == code and body["detail"].endswith(detail_end)


def test_a_batch_item_at_the_calendars_edge_is_an_item_error(client):
    queries = [
        {"question": "processing", "module": "Leads", "at": "0001-01-01T00:00:00+01:00"},
        {"question": "processing", "module": "Leads", "record": {"basis": "contract"}},
    ]
    body = client.post("/api/v1/decisions/batch", json={"queries": queries}).json()
    assert body["errors"][0]["index"] == 0 and body["decisions"][1]["effect"] == "allow"


def test_empty_body_and_unknown_filter_values(client):
    response = client.post("/api/v1/decisions", content=b"", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert client.get("/api/v1/records?basis=bogus").json()["code"] == "request.unknown_value"
    assert "did you mean 'waiting'" in client.get("/api/v1/records?consent_status=waitng").json()["detail"]


def test_layout_shape_is_checked(client):
    layout = client.get("/api/v1/modules/Leads").json()
    twice = {**layout, "fields": layout["fields"] + layout["fields"][:1]}
    body = client.put("/api/v1/modules/Leads", json=twice).json()
    assert body["code"] == "layout.invalid" and body["problems"][0]["code"] == "layout.duplicate_field"
    assert (
        client.put("/api/v1/modules/Leads", json={**layout, "fields": []}).json()["problems"][0]["code"]
        == "layout.no_fields"
    )
    odd = {**layout, "fields": [{**layout["fields"][0], "type": "hologram"}]}
    assert client.put("/api/v1/modules/Leads", json=odd).json()["problems"][0]["code"] == "layout.unknown_type"
    same = client.put("/api/v1/modules/Leads", json=layout).json()
    assert same["layout_version"] == layout["layout_version"]  # nothing changed, nothing bumped


@pytest.mark.parametrize(
    "path,method,code",
    [
        # Bodies are decoded straight into their type: the unknown field is refused before its nesting is read.
        ("/api/v1/decisions", "post", "request.invalid"),
        ("/api/v1/forms/check", "post", "request.too_deep"),
        ("/api/v1/forms/deep/draft", "put", "request.too_deep"),
    ],
)
def test_json_nested_too_deep_is_a_bad_request(client, path, method, code):
    body = '{"schema": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    response = getattr(client, method)(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == code


def test_a_form_schema_nested_too_deep_for_the_check_is_a_bad_request(client):
    # Deep enough that the check cannot walk it, shallow enough that the JSON itself can be read.
    nested = '{"type": "object", "properties": {"a": ' * 450 + '{"type": "string"}' + "}}" * 450
    body = '{"schema": {"type": "object", "x-crm-module": "Leads", "properties": {"x": ' + nested + "}}}"
    response = client.post("/api/v1/forms/check", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "request.too_deep"


@pytest.mark.parametrize("record_id", ["a/b", "../x", "anna@example.org", " 1", "x" * 65])
def test_record_ids_are_safe_in_a_url(client, record_id):
    body = {"module": "Leads", "id": record_id, "data": {"Last_Name": "Smit", "Company": "ACME"}}
    response = client.post("/api/v1/records", json=body)
    assert response.status_code == 400 and "$.id" in response.json()["detail"]
    assert record_id not in {r["id"] for r in client.get("/api/v1/records").json()}


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("/api/v1/decisions", b"{not json", "expected a JSON body, found malformed JSON: JSON is malformed"),
        ("/api/v1/decisions", b'{"question": "processing"', "expected a JSON body, found malformed JSON: Input data"),
        (
            "/api/v1/decisions",
            b'{"question": "proccessing", "module": "Leads"}',
            "expected one of erasure, field_marking, field_release, form_check, processing, record_add, "
            "found 'proccessing' - at $.question",
        ),
        (
            "/api/v1/decisions/batch",
            b'{"queries": [{"question": "processing", "module": "Leads", "lang": "fr"}]}',
            "expected one of en, nl, found 'fr' - at $.queries[0].lang",
        ),
        (
            "/api/v1/rights",
            b'{"kind": "forget", "email": "a@example.org", "channel": "email"}',
            "expected one of access, erasure, portability, rectification, restriction, found 'forget' - at $.kind",
        ),
    ],
)
def test_a_bad_body_is_told_what_was_expected(client, path, body, detail):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["detail"].startswith(detail), response.json()


@pytest.fixture
def three_versions(tmp_path, monkeypatch, layouts_store):
    """A server on rule files with a version 2026.3 besides the shipped ones; the host is wired as a server wires it."""
    monkeypatch.setattr("api.rules_host.SETTLE_SECONDS", 0)
    layouts_store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads",)), "test")
    rules = tmp_path / "gdpr"
    shutil.copytree(RULES, rules)
    shutil.copytree(rules / "2026.2", rules / "2026.3")
    manifest = rules / "2026.3" / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace('version: "2026.2"', 'version: "2026.3"'))
    services = Services(Config(database_url="unused://", rules_path=rules), store=layouts_store)
    with client_for(create_app(services.config, services), layouts_store) as client:
        yield rules, services.rules, client


def pin(client, version):
    settings = client.get("/api/v1/settings").json()
    response = client.put("/api/v1/settings", json={**settings, "pinned_version": version})
    assert response.status_code == 200, response.text


def test_a_reload_that_loses_the_pinned_version_is_refused_and_the_last_good_versions_serve_on(three_versions):
    rules, host, client = three_versions
    pin(client, "2026.3")
    shutil.rmtree(rules / "2026.3")
    assert host.reload_if_changed() is False
    listed = client.get("/api/v1/rulesets")
    assert listed.status_code == 200 and listed.json()["active"] == "2026.3"
    [problem] = listed.json()["reload_problems"]
    assert problem["code"] == "version_in_use" and problem["file"].endswith("2026.3")
    assert problem["message"].startswith(
        "version 2026.3 is pinned by the settings (pinned_version), but the rule files no longer hold it"
    )
    ask = {"question": "processing", "module": "Leads", "record": {"basis": "contract"}}
    decision = client.post("/api/v1/decisions", json=ask)
    assert decision.status_code == 200 and decision.json()["ruleset"]["version"] == "2026.3"  # A2
    assert client.post("/api/v1/sweep").status_code == 200
    # Once the settings stop pinning it, the version goes with the next look, without another edit.
    pin(client, None)
    assert host.reload_if_changed() is True
    listed = client.get("/api/v1/rulesets").json()
    assert listed.get("reload_problems") is None and "2026.3" not in [v["version"] for v in listed["versions"]]


def test_a_reload_that_leaves_no_version_in_effect_is_refused(three_versions):
    rules, host, client = three_versions
    for version in ("2026.1", "2026.2", "2026.3"):
        manifest = rules / version / "manifest.yaml"
        manifest.write_text(re.sub(r"effective: \S+", "effective: 2999-01-01", manifest.read_text()))
    assert host.reload_if_changed() is False
    assert [p["code"] for p in client.get("/api/v1/rulesets").json()["reload_problems"]] == ["none_in_effect"]
    ask = {"question": "processing", "module": "Leads", "record": {"basis": "contract"}}
    assert client.post("/api/v1/decisions", json=ask).status_code == 200


def test_a_reload_that_loses_a_version_nothing_uses_is_taken(three_versions):
    rules, host, client = three_versions
    pin(client, "2026.2")
    shutil.rmtree(rules / "2026.3")
    assert host.reload_if_changed() is True
    assert [v["version"] for v in client.get("/api/v1/rulesets").json()["versions"]] == ["2026.1", "2026.2"]
    settings = client.get("/api/v1/settings").json()
    refused = client.put("/api/v1/settings", json={**settings, "pinned_version": "2026.3"})
    assert refused.status_code == 400 and refused.json()["problems"][0]["code"] == "settings.unknown_version"


def test_a_server_started_with_a_pin_its_files_lack_says_so(layouts_store, tmp_path, caplog):
    import msgspec

    from api.app import Services
    from api.config import Config

    settings = layouts_store.settings()
    layouts_store.save_settings(msgspec.structs.replace(settings, pinned_version="2025.9"), "t")
    Services(Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path), store=layouts_store)
    assert "pin ruleset version(s) 2025.9, which" in caplog.text and "does not hold" in caplog.text


def test_numbers_no_database_can_hold_are_a_bad_request(client):
    huge = 10**20
    answers = [
        client.get(f"/api/v1/lias/{huge}"),
        client.delete(f"/api/v1/blocklist/{huge}"),
        client.delete(f"/api/v1/keys/{huge}"),
    ]
    for response in answers:
        assert response.status_code == 400 and response.json()["code"] == "request.invalid", response.text
        assert "<= 2147483647" in response.json()["detail"]
    body = {"basis": "legitimate_interests", "lia_id": huge}
    refused = client.put("/api/v1/records/nope/basis", json=body)
    assert refused.status_code == 400 and "at $.lia_id" in refused.json()["detail"]


def test_a_required_field_of_blanks_is_missing(client):
    response = client.post("/api/v1/records", json={"module": "Leads", "data": {"Last_Name": "   ", "Company": "X"}})
    assert response.status_code == 400 and response.json()["problems"][0]["code"] == "required"


def test_a_query_parameter_of_no_allowed_value_is_told_the_values(client):
    response = client.get("/api/v1/rights?status=weird")
    assert response.status_code == 400
    assert response.json()["detail"] == "expected one of completed, open, rejected, found 'weird' - at ?status"
