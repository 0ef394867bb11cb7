"""Outgoing mail is queued before it is sent: a mail server that is down undoes nothing and loses
nothing (DS3, DS7, W3); queued mail is kept encrypted and sent when the server is back."""

import logging

import sqlalchemy as sa

from api.app import Services, create_app
from api.config import Config
from api.mail import Message, OutboxMailer, SmtpMailer
from api.storage import ControllerSettings
from api.storage import schema as t
from tests.conftest import RULES, client_for
from tests.smtp import SmtpServer

SUBJECT = "noor.bakker@example.org"


def services_with(store, rules_host, tmp_path, transport):
    store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts")), "t")
    config = Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path, public_url="http://testserver.local")
    return Services(config, store=store, rules=rules_host, transport=transport)


def test_ds3_an_erasure_is_done_and_answered_later_when_the_mail_server_is_down(
    layouts_store, rules_host, tmp_path, clock, caplog
):
    later = SmtpServer()  # its port is chosen now; nothing listens there until it starts
    services = services_with(layouts_store, rules_host, tmp_path, SmtpMailer(later.url, "privacy@example.com", 2))
    with client_for(create_app(services.config, services), layouts_store) as client:
        client.post(
            "/api/v1/records",
            json={"module": "Leads", "id": "E1", "data": {"Last_Name": "Bakker", "Company": "Atlas", "Email": SUBJECT}},
        )
        client.put("/api/v1/records/E1/basis", json={"basis": "consent"})
        created = client.post("/api/v1/rights", json={"kind": "erasure", "email": SUBJECT, "channel": "email"})
        assert created.status_code == 201 and len(client.get("/api/v1/rights").json()) == 1
        done = client.post(f"/api/v1/rights/{created.json()['id']}/complete", json={})
        assert done.status_code == 200 and done.json()["status"] == "completed"
        assert done.json()["outcome"]["erased"] == ["E1"]
        assert client.get("/api/v1/records/E1").status_code == 404
        assert client.get("/healthz").json()["mail_waiting"] == 2  # the receipt and the answer
        with layouts_store.engine.connect() as c:
            kept = str(c.execute(sa.select(t.mail_queue)).all())
        assert SUBJECT not in kept and "Bakker" not in kept  # queued mail is encrypted
        assert SUBJECT not in caplog.text

        assert client.post("/api/v1/sweep").json()["mail_sent"] == 0  # not due yet: it waits a while
        with later:
            clock.advance(minutes=3)
            assert client.post("/api/v1/sweep").json()["mail_sent"] == 2
            texts = [m.get_body(("plain",)).get_content() for m in later.inbox.to(SUBJECT)]
        assert any("We received your erasure request" in text for text in texts)
        assert any("We erased all the data we held about you." in text for text in texts)
        assert client.get("/healthz").json()["mail_waiting"] == 0


def test_w3_a_form_submission_is_kept_and_its_confirmation_follows(layouts_store, rules_host, tmp_path, clock):
    later = SmtpServer()
    services = services_with(layouts_store, rules_host, tmp_path, SmtpMailer(later.url, "privacy@example.com", 2))
    message = Message(to=SUBJECT, subject="Please confirm", text="Open the link.")
    services.mailer.send(message)  # the same path every sender takes
    assert services.store.mail_waiting() == 1
    with later:
        clock.advance(minutes=1)
        assert services.mailer.deliver_due() == 0  # the first pause is two minutes
        clock.advance(minutes=2)
        assert services.mailer.deliver_due() == 1 and services.mailer.deliver_due() == 0
        [got] = later.inbox.to(SUBJECT)
    assert got["Subject"] == "Please confirm" and services.store.mail_waiting() == 0


def test_pauses_grow_and_a_claimed_message_is_not_sent_twice(layouts_store, rules_host, tmp_path, clock, caplog):
    down = SmtpServer()
    services = services_with(layouts_store, rules_host, tmp_path, SmtpMailer(down.url, "privacy@example.com", 2))
    caplog.set_level(logging.WARNING, "lawful.mail")
    services.mailer.send(Message(to=SUBJECT, subject="x", text="y"))
    for minutes in (2, 4, 8):
        clock.advance(minutes=minutes - 1)
        assert services.mailer.deliver_due() == 0 and not services.store.claim_mail(10, services.mailer.LEASE)
        clock.advance(minutes=1)
        [claimed] = services.store.claim_mail(10, services.mailer.LEASE)  # another worker takes it...
        assert services.store.claim_mail(10, services.mailer.LEASE) == []  # ...and nobody else can
        clock.advance(minutes=5)  # the claimant died: the lease runs out and the message is free again
        assert services.mailer.deliver_due() == 0
    assert "tried again in" in caplog.text and SUBJECT not in caplog.text


def test_an_address_with_non_ascii_letters_is_written_as_utf8(layouts_store, rules_host, tmp_path):
    outbox = tmp_path / "outbox"
    services = services_with(layouts_store, rules_host, tmp_path, OutboxMailer(outbox, "privacy@example.com"))
    services.mailer.send(Message(to="işıl@example.com", subject="Merhaba", text="Tamam"))
    [written] = outbox.glob("*.eml")
    raw = written.read_bytes()
    assert "To: işıl@example.com".encode() in raw and b"=?utf-8?" not in raw.split(b"\r\nSubject")[0]


class Refusing:
    """A transport whose server refuses every message, counting the tries."""

    sender = "privacy@example.com"

    def __init__(self):
        self.tries = 0

    def deliver(self, mime):
        from engine import LawfulError

        self.tries += 1
        raise LawfulError("mail.not_sent", "the mail server did not take the message (TimeoutError)")


def test_a_server_that_fails_costs_one_request_its_wait_not_every_request(layouts_store, rules_host, tmp_path):
    transport = Refusing()
    services = services_with(layouts_store, rules_host, tmp_path, transport)
    for n in range(5):
        services.mailer.send(Message(to=SUBJECT, subject=f"m{n}", text="y"))
    assert transport.tries == 1 and services.store.mail_waiting() == 5  # the others only queued
    assert services.mailer.deliver_due() == 0 and transport.tries == 2  # a sweep stops at its first failure
    services.mailer._failed_at -= services.mailer.QUIET  # a minute later: requests try again
    services.mailer.send(Message(to=SUBJECT, subject="later", text="y"))
    assert transport.tries == 3 and services.store.mail_waiting() == 6


def test_lawful_sweep_mail_now_sends_what_waits_without_waiting_out_the_pause(tmp_path, monkeypatch, capsys):
    from api.app import Services
    from api.cli import main

    url = f"sqlite:///{tmp_path / 'mail.db'}"
    monkeypatch.setenv("LAWFUL_DATABASE_URL", url)
    monkeypatch.setenv("LAWFUL_VAR", str(tmp_path / "var"))
    later = SmtpServer()
    monkeypatch.setenv("LAWFUL_SMTP_URL", later.url)
    services = Services(Config.from_env())
    services.mailer.send(Message(to=SUBJECT, subject="Waiting", text="y"))  # refused: nothing listens yet
    assert services.store.mail_waiting() == 1
    with later:
        assert main(["sweep"]) == 0 and "0 queued mail(s) sent" in capsys.readouterr().out  # still pausing
        assert main(["sweep", "--mail-now"]) == 0 and "1 queued mail(s) sent" in capsys.readouterr().out
        assert [m["Subject"] for m in later.inbox.to(SUBJECT)] == ["Waiting"]
