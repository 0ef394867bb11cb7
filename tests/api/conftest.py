"""Fixtures for service tests: a store with the demo layouts, an app on it."""

import pytest

from api.app import Services, create_app
from api.config import Config
from api.demo.layouts import demo_layouts
from api.mail import SmtpMailer
from api.storage import ControllerSettings
from tests.conftest import RULES, client_for
from tests.smtp import SmtpServer


@pytest.fixture
def layouts_store(store):
    for layout in demo_layouts():
        store.put_module(layout, "test")
    return store


@pytest.fixture
def services(layouts_store, rules_host, tmp_path):
    layouts_store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts")), "test")
    return Services(
        Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path), store=layouts_store, rules=rules_host
    )


@pytest.fixture
def app(services):
    return create_app(services.config, services)


@pytest.fixture
def client(app, services):
    """A client with an admin API key."""
    with client_for(app, services.store) as test_client:
        yield test_client


@pytest.fixture
def smtp():
    """A real SMTP server on loopback that keeps what it receives."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailing(layouts_store, rules_host, tmp_path, smtp):
    """Services on the test store whose mail goes to the loopback SMTP server; links point at the test client."""

    def make(settings: ControllerSettings) -> Services:
        layouts_store.save_settings(settings, "t")
        config = Config(
            database_url="unused://", rules_path=RULES, var_dir=tmp_path, public_url="http://testserver.local"
        )
        return Services(
            config, store=layouts_store, rules=rules_host, transport=SmtpMailer(smtp.url, "privacy@example.com")
        )

    return make
