"""The marketers' web UI over plain HTTP: sign-in, CSRF, creating and building forms (W1, W2)."""

import re

import pytest

from api.app import create_app
from api.auth import hash_password
from api.storage import ControllerSettings
from tests.api.test_webforms import example, publish, submit
from tests.conftest import client_for

PASSWORD = "correct horse battery"


@pytest.fixture
def ui(mailing, layouts_store):
    services = mailing(ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts")))
    layouts_store.add_user("mia", hash_password(PASSWORD), "marketer", "t")
    with client_for(create_app(services.config, services), layouts_store) as client:
        page = client.get("/ui/login").text
        response = client.post(
            "/ui/login",
            data={"_csrf_token": csrf_of(page), "username": "mia", "password": PASSWORD, "next": "/ui/forms"},
            follow_redirects=False,
        )
        assert response.status_code in (302, 303), response.text
        yield client, services


def csrf_of(page):
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


def create(client, slug, title="Newsletter"):
    page = client.get("/ui/forms").text
    return client.post(
        "/ui/forms",
        data={"_csrf_token": csrf_of(page), "slug": slug, "module": "Leads", "title_en": title},
        follow_redirects=False,
    )


def test_w1_a_form_name_is_taken_once_and_public_page_names_are_reserved(ui):
    client, services = ui
    assert create(client, "newsletter").status_code in (302, 303)
    again = create(client, "newsletter", title="Another")
    assert again.status_code == 422 and "already exists" in again.text
    assert services.store.form("newsletter").draft["title"] == "Newsletter"  # the first form is untouched
    for reserved in ("confirm", "resend"):
        response = create(client, reserved)
        assert response.status_code == 422 and "public pages use that name" in response.text


def test_w1_consents_are_optional_unless_ticked_as_required(ui):
    client, services = ui
    create(client, "updates")
    page = client.get("/ui/forms/updates").text
    fields = {
        "_csrf_token": csrf_of(page),
        "title_en": 'Updates "from" <us>',
        "f.Email.include": "1",
        "f.Email.required": "1",
        "double_opt_in": "1",
        "c.0.purpose": "newsletter",
        "c.0.text_en": "Send me the newsletter.",
        "c.1.purpose": "partner_offers",
        "c.1.text_en": "Send me offers from partners.",
        "c.1.required": "1",
        "action": "save",
    }
    assert client.post("/ui/forms/updates", data=fields).status_code == 200
    schema = services.store.form("updates").draft
    assert "consent_newsletter" not in schema["required"] and "const" not in schema["properties"]["consent_newsletter"]
    assert "consent_partner_offers" in schema["required"]
    page = client.get("/ui/forms/updates").text
    assert re.search(r'name="c\.0\.required" value="1" >', page) and re.search(
        r'name="c\.1\.required" value="1" checked>', page
    )


def test_w2_the_embed_snippet_escapes_the_title(ui):
    client, services = ui
    create(client, "quoted")
    schema = example("newsletter_signup")
    schema["title"] = 'Say "hi" <b>'
    publish(client, "quoted", schema)
    page = client.get("/ui/forms/quoted").text
    # The page escapes the snippet once more to show it as text.
    assert "title=&#34;Say &amp;quot;hi&amp;quot; &amp;lt;b&amp;gt;&#34;" in page or (
        "title=&quot;Say &amp;quot;hi&amp;quot; &amp;lt;b&amp;gt;&quot;" in page
    )


def test_w2_defaults_that_do_not_fit_the_module_are_refused_when_saved(ui):
    client, _ = ui
    schema = example("newsletter_signup")
    schema["x-crm-defaults"] = {**schema["x-crm-defaults"], "No_of_Employees": "many", "Shoe_Size": "x"}
    response = client.put("/api/v1/forms/bad-defaults/draft", json={"schema": schema})
    assert response.status_code == 400 and response.json()["code"] == "form.bad_defaults"
    paths = {p["path"] for p in response.json()["problems"]}
    assert paths == {"$.x-crm-defaults.No_of_Employees", "$.x-crm-defaults.Shoe_Size"}
    assert client.get("/api/v1/forms/bad-defaults").status_code == 404


def test_a_submission_that_no_longer_fits_the_module_stores_nothing_and_says_so(ui, smtp):
    client, services = ui
    publish(client, "news", example("newsletter_signup"))
    layout = services.store.module("Leads")
    # The module changes after publishing: First_Name becomes a number field.
    changed = layout.__class__(
        **{
            **{f: getattr(layout, f) for f in layout.__struct_fields__},
            "fields": [
                f.__class__(**{**{k: getattr(f, k) for k in f.__struct_fields__}, "type": "integer"})
                if f.name == "First_Name"
                else f
                for f in layout.fields
            ],
        }
    )
    services.store.put_module(changed, "t")
    before = len(services.store.records(limit=1000))
    response = submit(
        client, "news", {"email": "sanne.jansen@example.org", "first_name": "Sanne", "consent_newsletter": "on"}
    )
    assert response.status_code == 503 and "Nothing was stored" in response.text
    assert len(services.store.records(limit=1000)) == before


def test_nul_characters_in_a_browser_form_are_dropped(ui, smtp):
    client, services = ui
    publish(client, "news", example("newsletter_signup"))
    response = submit(
        client, "news", {"email": "sanne.jansen@example.org", "first_name": "San\x00ne", "consent_newsletter": "on"}
    )
    assert response.status_code == 200, response.text
    (record,) = services.store.records_by_unique({"Leads": ["Email"]}, "sanne.jansen@example.org")
    assert record.data["First_Name"] == "Sanne"


def test_pages_are_html_in_utf_8_once(ui):
    client, _ = ui
    assert client.get("/ui/login").headers["content-type"] == "text/html; charset=utf-8"


def test_a_signed_in_analyst_is_told_the_forms_ui_is_not_for_them(mailing, layouts_store):
    services = mailing(ControllerSettings(compliance_enabled=True, modules=("Leads",)))
    layouts_store.add_user("ana", hash_password(PASSWORD), "analyst", "t")
    with client_for(create_app(services.config, services), layouts_store) as client:
        page = client.get("/ui/login").text
        client.post(
            "/ui/login",
            data={"_csrf_token": csrf_of(page), "username": "ana", "password": PASSWORD, "next": "/ui/forms"},
            follow_redirects=False,
        )
        response = client.get("/ui/forms", follow_redirects=False)
        assert response.status_code == 403 and "signed in as analyst" in response.text


def test_signing_in_keeps_the_language_and_the_root_leads_to_the_ui(mailing, layouts_store):
    services = mailing(ControllerSettings(compliance_enabled=True, modules=("Leads",)))
    layouts_store.add_user("mia", hash_password(PASSWORD), "marketer", "t")
    with client_for(create_app(services.config, services), layouts_store) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/ui/"
        page = client.get("/ui/login?lang=nl").text
        signed = client.post(
            "/ui/login?lang=nl",
            data={"_csrf_token": csrf_of(page), "username": "mia", "password": PASSWORD, "next": "/ui/forms"},
            follow_redirects=False,
        )
        assert signed.headers["location"] == "/ui/forms?lang=nl"
        forms_page = client.get(signed.headers["location"])
        assert "Webformulieren" in forms_page.text and forms_page.headers["cache-control"] == "no-store"
