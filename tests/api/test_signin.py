"""Sign-in throttling: 5 failures for a user name or from an address within 15 minutes, then a pause."""

import logging

import pytest
import sqlalchemy as sa

from api.auth import hash_password
from api.problems import ThrottledError
from api.signin import SignInGuard
from api.storage import Store
from api.storage import schema as t
from tests.conftest import TEST_SECRET, ui_sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def guard(store):
    store.add_user("mia", hash_password(PASSWORD), "marketer", "t")
    return SignInGuard(store, TEST_SECRET)


def refused_for(guard, username, password, address):
    with pytest.raises(ThrottledError) as refused:
        guard.verify(username, password, address)
    assert refused.value.code == "auth.throttled"
    return refused.value


def test_five_failures_for_a_user_name_pause_it_from_every_address(guard, clock):
    for attempt in range(5):
        assert guard.verify("mia", "wrong password", f"198.51.100.{attempt}") is False
    refused = refused_for(guard, "mia", PASSWORD, "203.0.113.9")  # even the right password, from elsewhere
    assert refused.retry_after == 900 and "5 failed attempts" in refused.message
    assert "try again in 900 seconds" in refused.message
    clock.advance(minutes=10)
    assert refused_for(guard, "mia", PASSWORD, "203.0.113.9").retry_after == 300
    clock.advance(minutes=5)
    assert guard.verify("mia", PASSWORD, "203.0.113.9") is True


def test_the_window_slides_with_the_oldest_failure(guard, clock):
    for _ in range(5):
        assert guard.verify("mia", "wrong password", "198.51.100.1") is False
        clock.advance(minutes=2)
    # failures at 0, 2, 4, 6 and 8 minutes; now 10 minutes: the one at 0 leaves the window at 15
    assert refused_for(guard, "mia", PASSWORD, "198.51.100.1").retry_after == 300
    clock.advance(minutes=5)
    assert guard.verify("mia", "wrong password", "198.51.100.1") is False  # the 6th failure, a new one counted
    assert refused_for(guard, "mia", PASSWORD, "198.51.100.1").retry_after == 120  # the one at 2 minutes


def test_five_failures_from_an_address_pause_it_for_every_user_name(guard):
    for name in ("ana", "bo", "cy", "dee", "eve"):
        assert guard.verify(name, "guess", "192.0.2.7") is False
    assert refused_for(guard, "mia", PASSWORD, "192.0.2.7").retry_after == 900
    assert guard.verify("mia", PASSWORD, "192.0.2.8") is True


def test_a_right_password_forgets_the_user_names_failures(guard):
    for _ in range(4):
        assert guard.verify("mia", "wrong password", "198.51.100.1") is False
    assert guard.verify("mia", PASSWORD, "198.51.100.2") is True
    for _ in range(4):
        assert guard.verify("mia", "wrong password", "198.51.100.3") is False
    assert guard.verify("mia", PASSWORD, "198.51.100.3") is True


def test_every_server_shares_the_count(guard, store, database_url, clock):
    other_store = Store.open(database_url, clock, secret=TEST_SECRET)
    other = SignInGuard(other_store, TEST_SECRET)
    try:
        for attempt in range(5):
            assert (guard if attempt % 2 else other).verify("mia", "wrong password", "198.51.100.1") is False
        refused_for(guard, "mia", PASSWORD, "203.0.113.1")
        refused_for(other, "mia", PASSWORD, "203.0.113.1")
    finally:
        other_store.close()


def test_only_digests_are_kept_and_old_attempts_are_pruned(guard, store, clock):
    for _ in range(3):
        guard.verify("mia", "wrong password", "198.51.100.1")
    with store.engine.connect() as c:
        rows = c.execute(sa.select(t.sign_in_attempts)).all()
    assert len(rows) == 3
    assert "mia" not in str(rows) and "198.51.100.1" not in str(rows)
    assert rows[0].user_digest == guard.digest("user", "mia") != SignInGuard(store, b"y" * 32).digest("user", "mia")
    clock.advance(minutes=15)
    guard.verify("ana", "guess", "192.0.2.1")
    with store.engine.connect() as c:
        assert c.execute(sa.select(t.sign_in_attempts.c.user_digest)).scalars().all() == [guard.digest("user", "ana")]


def test_failures_are_logged_without_password_address_or_unknown_names(guard, caplog):
    caplog.set_level(logging.WARNING, logger="lawful.auth")
    guard.verify("mia", "wrong password", "198.51.100.1")
    guard.verify("typo-secret-name", "another password", "198.51.100.1")
    guard.verify("mia", PASSWORD, "198.51.100.1")
    for _ in range(4):  # the right password forgot mia's failure; the unknown name's still counts for the address
        guard.verify("mia", "wrong password", "198.51.100.1")
    with pytest.raises(ThrottledError):
        guard.verify("mia", PASSWORD, "198.51.100.1")
    records = [r for r in caplog.records if r.name == "lawful.auth"]
    assert [r.levelno for r in records] == [logging.WARNING] * 7  # 6 failures, 1 refusal; no success logged
    text = "\n".join(r.getMessage() for r in records)
    assert "sign-in failed for user 'mia' from address " + guard.digest("address", "198.51.100.1")[:16] in text
    assert "unknown user name " + guard.digest("user", "typo-secret-name")[:16] in text
    assert "sign-in refused for user 'mia'" in text
    for secret in ("wrong password", "another password", PASSWORD, "typo-secret-name", "198.51.100.1"):
        assert secret not in text


def test_the_api_answers_429_with_retry_after(app, services):
    services.store.add_user("mia", hash_password(PASSWORD), "marketer", "t")
    from litestar.testing import TestClient

    with TestClient(app) as browser:
        for _ in range(5):
            wrong = browser.post("/api/v1/session", json={"username": "mia", "password": "wrong password"})
            assert wrong.status_code == 401 and wrong.json()["code"] == "auth.bad_credentials"
        refused = browser.post("/api/v1/session", json={"username": "mia", "password": PASSWORD})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "900"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "auth.throttled" and "try again in 900 seconds" in refused.json()["detail"]


def test_the_web_ui_login_answers_429_with_retry_after(app, services, clock):
    services.store.add_user("mia", hash_password(PASSWORD), "marketer", "t")
    from litestar.testing import TestClient

    with TestClient(app) as browser:
        for _ in range(5):
            assert ui_sign_in(browser, "mia", "wrong password").status_code == 401
        refused = ui_sign_in(browser, "mia", PASSWORD)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "900"
        assert "Too many failed sign-ins for this user name or from this address" in refused.text
        assert "Try again in 15 minutes." in refused.text and "lawful_session" not in refused.headers.get(
            "set-cookie", ""
        )
        clock.advance(minutes=15)
        signed = ui_sign_in(browser, "mia", PASSWORD)
    assert signed.status_code in (302, 303) and "lawful_session=" in signed.headers["set-cookie"]
