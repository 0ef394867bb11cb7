"""Roles on every endpoint (R2), keys and passwords stored hashed, sessions with CSRF."""

import sqlalchemy as sa

from tests.conftest import admin_key, client_for


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
        prefix = token.split("_")[1]
        key = next(k for k in services.store.keys() if k.prefix == prefix)
        services.store.revoke_key(key.id)
        services.auth._keys.clear()  # the cache keeps a verified key for at most 10 seconds
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/records").status_code == 401


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
