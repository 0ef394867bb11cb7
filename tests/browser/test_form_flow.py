"""The marketer builds and publishes a form; a subject fills it in and confirms by email (W1-W4)."""

from __future__ import annotations

import re

import pytest

from api.auth import hash_password
from api.demo.layouts import demo_layouts
from api.storage import ControllerSettings, Store
from tests.conftest import TEST_SECRET
from tests.server import running_server
from tests.smtp import SmtpServer

pytestmark = pytest.mark.browser
SUBJECT = "lotte.bakker@example.org"
EMAIL_LABEL = re.compile(r"^Email( \(required\))?$")


@pytest.fixture
def site(tmp_path):
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    store = Store.open(url, secret=TEST_SECRET)
    for layout in demo_layouts():
        store.put_module(layout, "t")
    store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads", "Contacts")), "t")
    store.add_user("mia", hash_password("correct horse battery"), "marketer", "t")
    with SmtpServer() as smtp:
        env = {"LAWFUL_SECRET": TEST_SECRET.hex(), "LAWFUL_SMTP_URL": smtp.url, "LAWFUL_MAIL_FROM": "forms@example.com"}
        with running_server(url, tmp_path, env=env) as base:
            yield base, store, smtp


def test_build_publish_fill_in_and_confirm_in_a_real_browser(site, browser, artifacts):
    base, store, smtp = site
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/ui/forms")
    assert "/ui/login" in page.url
    page.get_by_label("User name").fill("mia")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Name").fill("newsletter")
    page.get_by_label("Module").select_option("Leads")
    page.get_by_label("Title (English)").fill("Monthly newsletter")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/ui/forms/newsletter"))

    page.get_by_label("Title (Dutch)").fill("Maandelijkse nieuwsbrief")
    page.locator("#f-Email-include").check()
    page.locator("input[name='f.Email.order']").fill("1")
    page.locator("input[name='f.Email.required']").check()
    page.locator("#f-First_Name-include").check()
    page.locator("input[name='f.First_Name.order']").fill("2")
    page.locator("input[name='f.First_Name.label_nl']").fill("Voornaam")
    page.get_by_label("Purpose").fill("newsletter")
    page.get_by_label("Wording (English)").fill(
        "Yes, send me the monthly newsletter by email. I can unsubscribe at any time."
    )
    page.get_by_label("Wording (Dutch)").fill(
        "Ja, stuur mij de maandelijkse nieuwsbrief per e-mail. Ik kan mij altijd afmelden."
    )
    page.get_by_role("button", name="Save and check").click()
    # Last Name and Company are required in Leads and not on the form: the check says so next to them.
    assert page.locator("#problems-default-Last_Name li.error").count() == 1
    assert page.get_by_role("button", name="Publish").is_disabled()
    page.locator("#d-Last_Name").fill("(newsletter subscriber)")
    page.locator("#d-Company").fill("(none)")
    # The live preview and check follow the typing, without a page load.
    page.wait_for_function("document.getElementById('outcome').className.includes('publishable')")
    page.wait_for_function("!document.getElementById('publish').disabled")
    preview = page.frame_locator("#preview")
    assert preview.get_by_label(EMAIL_LABEL).count() == 1
    page.screenshot(path=str(artifacts / "builder.png"), full_page=True)
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_role("status").filter(has_text="Published as version 1").count() == 1

    subject = browser.new_page()
    subject.goto(f"{base}/f/newsletter?lang=nl")
    assert subject.locator("h1").inner_text() == "Maandelijkse nieuwsbrief"
    subject.goto(f"{base}/f/newsletter")
    subject.screenshot(path=str(artifacts / "public_form.png"), full_page=True)
    subject.get_by_role("button").filter(has_text=re.compile("Send|Submit", re.I)).first.click()
    summary = subject.locator("[role=alert]").first
    assert summary.is_visible()
    assert subject.evaluate("document.activeElement.getAttribute('role')") == "alert"  # the summary takes focus
    email = subject.get_by_label(EMAIL_LABEL)
    assert email.get_attribute("aria-invalid") == "true" and email.get_attribute("aria-describedby")
    email.fill(SUBJECT)
    subject.get_by_label(re.compile(r"^First name", re.I)).fill("Lotte")
    subject.get_by_label(re.compile("monthly newsletter")).check()
    subject.get_by_role("button").filter(has_text=re.compile("Send|Submit", re.I)).first.click()
    assert "confirm your address" in subject.content()

    [record] = store.records(module="Leads", limit=5)
    assert record.awaiting_confirmation and record.consent_status == "waiting"
    body = smtp.inbox.to(SUBJECT)[-1].get_body(("plain",)).get_content()
    link = re.search(r"(http://127\.0\.0\.1:\d+/f/confirm/\S+)", body).group(1)
    subject.goto(link)
    assert store.record(record.id).awaiting_confirmation  # opening the link changes nothing
    subject.get_by_role("button", name="Confirm my email address").click()
    assert "is confirmed" in subject.content()
    record = store.record(record.id)
    assert not record.awaiting_confirmation and record.consent_status == "obtained"
    assert record.source["kind"] == "form" and record.source["form_version"] == 1
