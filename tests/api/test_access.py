"""Roles on every endpoint (R2), keys and passwords stored hashed, sessions with CSRF."""

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from api.app import Services, create_app
from api.auth import hash_password
from api.config import Config
from tests.conftest import RULES, admin_key, client_for, ui_sign_in


def test_no_key_is_401_and_a_wrong_role_is_403(app, services):
    with client_for(app, services.store, "marketer") as marketer:
        del marketer.headers["Authorization"]
        response = marketer.get("/api/v1/records")
        assert response.status_code == 401 and response.json()["code"] == "auth.required"
        marketer.headers["Authorization"] = f"Bearer {admin_key(services.store, 'marketer')}"
        response = marketer.post("/api/v1/decisions", json={"question": "processing", "module": "Leads"})
        assert response.status_code == 403 and response.json()["code"] == "auth.forbidden"
        assert marketer.get("/api/v1/rulesets").status_code == 200


def test_a_refused_change_changes_nothing(app, services):
    before = services.store.settings()
    with client_for(app, services.store, "app") as client:
        assert client.put("/api/v1/compliance", json={"enabled": False}).status_code == 403
    assert services.store.settings() == before


def test_bad_and_revoked_keys(app, services):
    with client_for(app, services.store, "app") as client:
        assert client.get("/api/v1/records").status_code == 200
        token = client.headers["Authorization"][7:]
        client.headers["Authorization"] = "Bearer nonsense"
        assert client.get("/api/v1/records").json()["code"] == "auth.invalid_key"
        client.headers["Authorization"] = f"Bearer {token[:-1]}x"
        assert client.get("/api/v1/records").json()["code"] == "auth.invalid_key"
        services.auth.revoke_key(key_id(services, token))
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/records").status_code == 401


def key_id(services, token):
    prefix = token.split("_")[1]
    return next(k.id for k in services.store.keys() if k.prefix == prefix)


def test_a_key_revoked_through_the_api_stops_at_once(app, services, client):
    """R2: a revoked key must not keep working from this process's memory of it."""
    made = client.post("/api/v1/keys", json={"name": "crm", "role": "app"}).json()
    other_admin = admin_key(services.store)
    with TestClient(app) as caller:
        caller.headers["Authorization"] = f"Bearer {made['key']}"
        assert caller.get("/api/v1/records").status_code == 200  # verified, and remembered
        assert client.delete(f"/api/v1/keys/{made['info']['id']}").status_code == 204
        refused = caller.get("/api/v1/records")
        assert refused.status_code == 401 and refused.json()["code"] == "auth.invalid_key"
        caller.headers["Authorization"] = f"Bearer {other_admin}"
        assert caller.get("/api/v1/records").status_code == 200
        assert client.delete(f"/api/v1/keys/{key_id(services, other_admin)}").status_code == 204
        assert caller.post("/api/v1/keys", json={"name": "mine", "role": "admin"}).status_code == 401
    assert [k.name for k in services.store.keys() if k.name == "mine"] == []


def test_admin_keys_revoked_by_another_server_stop_at_once(app, services):
    """R2: another worker or `lawful key revoke` changes only the database; admin keys are checked there every time."""
    token = admin_key(services.store)
    with TestClient(app) as caller:
        caller.headers["Authorization"] = f"Bearer {token}"
        assert caller.get("/api/v1/records").status_code == 200
        assert caller.get("/api/v1/settings").status_code == 200
        services.store.revoke_key(key_id(services, token))  # as another process would
        assert caller.post("/api/v1/keys", json={"name": "mine", "role": "admin"}).status_code == 401
        assert caller.get("/api/v1/settings").status_code == 401
        assert caller.get("/api/v1/records").status_code == 401  # no admin key is remembered


def test_other_keys_revoked_by_another_server_stop_within_the_cache_window(app, services, monkeypatch):
    """The window README documents: a non-admin key revoked elsewhere works for at most KEY_CACHE_SECONDS."""
    import api.auth

    token = admin_key(services.store, "app")
    with TestClient(app) as caller:
        caller.headers["Authorization"] = f"Bearer {token}"
        assert caller.get("/api/v1/records").status_code == 200
        services.store.revoke_key(key_id(services, token))  # as another process would
        assert caller.get("/api/v1/records").status_code == 200
        later = api.auth.time.monotonic() + api.auth.KEY_CACHE_SECONDS
        monkeypatch.setattr(api.auth.time, "monotonic", lambda: later)
        assert caller.get("/api/v1/records").status_code == 401


def test_routes_only_admins_may_use_never_trust_a_remembered_key(app):
    checked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            roles = handler.opt.get("roles")
            if roles is None:
                continue
            manages_access = any(part in route.path for part in ("/users", "/keys", "/settings"))
            if roles == ("admin",) or manages_access:
                assert handler.opt["fresh"] is True, route.path
                checked += 1
            else:
                assert handler.opt["fresh"] is False, route.path
    assert checked > 20


def test_disabling_a_user_ends_their_session_at_once(app, services, client):
    services.store.add_user("ana", hash_password("correct horse battery"), "analyst", "t")
    with TestClient(app) as browser:
        assert (
            browser.post("/api/v1/session", json={"username": "ana", "password": "correct horse battery"}).status_code
            == 200
        )
        assert browser.get("/api/v1/rulesets").status_code == 200
        assert client.delete("/api/v1/users/ana").status_code == 204
        assert browser.get("/api/v1/rulesets").status_code == 401


def test_users_keys_and_who_made_a_change(client, services):
    made = client.post("/api/v1/keys", json={"name": "crm", "role": "app"}).json()
    assert made["key"].startswith("lawful_") and made["info"]["role"] == "app"
    assert (
        client.post(
            "/api/v1/users", json={"username": "ana", "password": "correct horse battery", "role": "analyst"}
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/users", json={"username": "ana", "password": "correct horse battery", "role": "analyst"}
        ).status_code
        == 409
    )
    assert (
        client.post("/api/v1/users", json={"username": "bob", "password": "short", "role": "admin"}).status_code == 400
    )
    with services.store.engine.connect() as c:
        dump = " ".join(str(r) for table in ("api_keys", "users") for r in c.execute(sa.text(f"SELECT * FROM {table}")))
    assert made["key"].split("_", 2)[2] not in dump and "correct horse battery" not in dump
    client.put("/api/v1/compliance", json={"enabled": False})
    assert services.store.settings_history()[-1]["changed_by"].startswith("key:test-admin")


def test_sessions_need_the_csrf_token_for_changes(app, services, client):
    client.post("/api/v1/users", json={"username": "mia", "password": "correct horse battery", "role": "admin"})
    with client_for(app, services.store) as browser:
        del browser.headers["Authorization"]
        assert (
            browser.post("/api/v1/session", json={"username": "mia", "password": "wrong password!"}).status_code == 401
        )
        signed = browser.post("/api/v1/session", json={"username": "mia", "password": "correct horse battery"})
        assert signed.status_code == 200 and "lawful_session" in signed.headers["set-cookie"]
        assert "HttpOnly" in signed.headers["set-cookie"] and "SameSite=strict" in signed.headers["set-cookie"]
        assert browser.get("/api/v1/session").json()["name"] == "mia"
        assert browser.put("/api/v1/compliance", json={"enabled": False}).json()["code"] == "auth.csrf"
        assert services.store.settings().compliance_enabled is True
        changed = browser.put(
            "/api/v1/compliance", json={"enabled": False}, headers={"X-CSRF-Token": signed.json()["csrf"]}
        )
        assert changed.status_code == 200
        assert browser.delete("/api/v1/session", headers={"X-CSRF-Token": signed.json()["csrf"]}).status_code == 204
        assert browser.get("/api/v1/session").status_code == 401


def test_openapi_names_the_roles_of_every_operation(client):
    schema = client.get("/schema/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path == "/api/v1/session" and method == "post":
                continue  # signing in is open to anyone
            assert "Roles: " in operation.get("description", ""), (method, path)
            assert operation.get("security") == [{"bearer": []}], (method, path)


@pytest.mark.parametrize("public_url, secure", [("https://lawful.example.org", True), ("http://127.0.0.1:8000", False)])
def test_the_session_cookie_is_secure_when_the_public_url_is_https(
    layouts_store, rules_host, tmp_path, public_url, secure
):
    config = Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path, public_url=public_url)
    services = Services(config, store=layouts_store, rules=rules_host)
    layouts_store.add_user("mia", hash_password("correct horse battery"), "marketer", "t")
    with TestClient(create_app(config, services)) as browser:
        signed = browser.post("/api/v1/session", json={"username": "mia", "password": "correct horse battery"})
        session = signed.headers["set-cookie"].split(";")[0]  # a client over http would not send a Secure cookie
        ended = browser.delete("/api/v1/session", headers={"X-CSRF-Token": signed.json()["csrf"], "Cookie": session})
        page = ui_sign_in(browser, "mia", "correct horse battery")
        left = browser.post("/ui/logout", data={"_csrf_token": "stale"}, follow_redirects=False)
    cookies = [r.headers["set-cookie"] for r in (signed, ended, page, left)]
    assert signed.status_code == 200 and ended.status_code == 204 and page.status_code in (302, 303)
    for cookie in cookies:
        assert cookie.startswith("lawful_session=") and ("; Secure" in cookie) is secure, cookie


def test_every_response_under_api_is_no_store(client):
    answers = [
        client.get("/api/v1/records"),
        client.post("/api/v1/decisions", json={"question": "processing", "module": "Leads"}),
        client.get("/api/v1/records/nope"),
        client.get("/api/v1/no-such-route"),
        client.get("/api/v1/records", headers={"Authorization": "Bearer nonsense"}),
    ]
    assert [r.status_code for r in answers] == [200, 200, 404, 404, 401]
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.url
    assert "no-store" not in client.get("/healthz").headers.get("cache-control", "")


def test_the_last_enabled_admin_cannot_be_disabled(store):
    from engine import ConflictError

    for name, role in (("ada", "admin"), ("bo", "admin"), ("mia", "marketer")):
        store.add_user(name, hash_password("correct horse battery"), role, "t")
    store.disable_user("ada", "t")
    with pytest.raises(ConflictError) as refused:
        store.disable_user("bo", "t")
    assert refused.value.code == "user.last_admin"
    assert "'bo' is the last one" in refused.value.message and "lawful user enable NAME" in refused.value.message
    assert store.user("bo").disabled_at is None
    store.disable_user("mia", "t")  # other roles are not counted
    store.disable_user("ada", "t")  # nor is an admin already disabled
    assert store.enable_user("ada", "t").disabled_at is None
    assert store.password_hash("ada") is not None  # signs in again with the password they had
    store.disable_user("bo", "t")
    assert [u.username for u in store.users() if u.disabled_at is None] == ["ada"]


def test_disabling_the_last_admin_over_http_is_a_conflict(client, services):
    services.store.add_user("ada", hash_password("correct horse battery"), "admin", "t")
    refused = client.delete("/api/v1/users/ada")
    assert refused.status_code == 409 and refused.json()["code"] == "user.last_admin"
    assert "expected another enabled admin user, found none" in refused.json()["detail"]
    services.store.add_user("bo", hash_password("correct horse battery"), "admin", "t")
    assert client.delete("/api/v1/users/ada").status_code == 204
