"""Field-level encryption at rest (F6): ciphertext in the database, clear values to callers."""

import pytest
import sqlalchemy as sa

from api.storage import Store
from api.storage import schema as t
from engine import LawfulError

TAX = "NL123456789B01"


def raw_data(store, record_id):
    with store.engine.connect() as c:
        return c.execute(sa.select(t.records.c.data).where(t.records.c.id == record_id)).scalar_one()


def test_encrypted_fields_are_ciphertext_at_rest_and_clear_through_the_api(client, services):
    added = client.post(
        "/api/v1/records",
        json={"module": "Leads", "id": "e1", "data": {"Last_Name": "Visser", "Company": "ACME", "Tax_ID": TAX}},
    )
    assert added.status_code == 201 and added.json()["record"]["data"]["Tax_ID"] == TAX
    stored = raw_data(services.store, "e1")
    assert stored["Last_Name"] == "Visser" and set(stored["Tax_ID"]) == {"$enc"} and TAX not in str(stored)
    assert client.get("/api/v1/records/e1").json()["data"]["Tax_ID"] == TAX


def test_a_ciphertext_moved_to_another_record_does_not_decrypt(services):
    store = services.store
    from api.storage import NewRecord

    store.upsert_records(
        "Leads",
        [
            NewRecord("a", {"Last_Name": "A", "Company": "C", "Tax_ID": TAX}, "h1"),
            NewRecord("b", {"Last_Name": "B", "Company": "C"}, "h2"),
        ],
        {"kind": "api"},
        "t",
    )
    stolen = raw_data(store, "a")["Tax_ID"]
    with store.engine.begin() as c:
        c.execute(
            t.records.update()
            .where(t.records.c.id == "b")
            .values(data={"Last_Name": "B", "Company": "C", "Tax_ID": stolen})
        )
    with pytest.raises(LawfulError) as caught:
        store.record("b")
    assert caught.value.code == "crypto.cannot_decrypt"


def test_turning_encryption_on_and_off_rewrites_stored_values(client, services):
    client.post(
        "/api/v1/records",
        json={"module": "Leads", "id": "e2", "data": {"Last_Name": "V", "Company": "C", "Mobile": "+31612345678"}},
    )
    assert raw_data(services.store, "e2")["Mobile"] == "+31612345678"
    client.put("/api/v1/modules/Leads/fields/Mobile", json={"classification": "normal", "encrypted": True})
    assert set(raw_data(services.store, "e2")["Mobile"]) == {"$enc"}
    assert client.get("/api/v1/records/e2").json()["data"]["Mobile"] == "+31612345678"
    client.put("/api/v1/modules/Leads/fields/Mobile", json={"classification": "normal", "encrypted": False})
    assert raw_data(services.store, "e2")["Mobile"] == "+31612345678"


def test_another_installations_key_cannot_read(services, database_url, clock):
    from api.storage import NewRecord

    services.store.upsert_records(
        "Leads", [NewRecord("k", {"Last_Name": "A", "Company": "C", "Tax_ID": TAX}, "h")], {"kind": "api"}, "t"
    )
    other = Store.open(database_url, clock, secret=b"x" * 32)
    with pytest.raises(LawfulError, match="cannot be decrypted with this installation's key"):
        other.record("k")
    keyless = Store.open(database_url, clock)
    with pytest.raises(LawfulError, match="no key is configured"):
        keyless.record("k")
