"""Server-side HTML for lawful's own pages: one jinja2 environment, autoescape always on."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import CacheControlHeader

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
# For answers that hold personal data or a moment's state: no browser or proxy may keep them.
NO_STORE = CacheControlHeader(no_store=True)
TEXT = {
    "confirm_title": ("Confirm your email address", "Bevestig uw e-mailadres"),
    "confirm_intro": (
        "Press the button to confirm that this email address is yours and that you filled in the form.",
        "Druk op de knop om te bevestigen dat dit e-mailadres van u is en dat u het formulier invulde.",
    ),
    "confirm_button": ("Confirm my email address", "Bevestig mijn e-mailadres"),
    "confirmed": ("Thank you: your email address is confirmed.", "Bedankt: uw e-mailadres is bevestigd."),
    "already_confirmed": (
        "Your email address was confirmed already. There is nothing more to do.",
        "Uw e-mailadres was al bevestigd. U hoeft niets meer te doen.",
    ),
    "expired": (
        "This link has expired. Fill in the form again, or ask for a new link.",
        "Deze link is verlopen. Vul het formulier opnieuw in, of vraag om een nieuwe link.",
    ),
    "unknown": ("This link is not valid, or it has been used already.", "Deze link is niet geldig, of is al gebruikt."),
    "limited": (
        "Too many forms were sent from your address. Please try again in a few minutes.",
        "Er zijn te veel formulieren vanaf uw adres verstuurd. Probeer het over enkele minuten opnieuw.",
    ),
    "refused": ("We cannot accept this form.", "We kunnen dit formulier niet aannemen."),
    "broken": (
        "This form cannot take answers right now. Nothing was stored; please try again later.",
        "Dit formulier kan nu geen antwoorden aannemen. Er is niets bewaard; probeer het later opnieuw.",
    ),
    "resent": (
        "We sent you a new link. The previous one no longer works.",
        "We stuurden u een nieuwe link. De vorige werkt niet meer.",
    ),
    "resend": ("Send the confirmation email again", "Stuur de bevestigingsmail opnieuw"),
    "resend_too_soon": (
        "We sent you a link a short while ago. You can ask for a new one in {minutes} minute(s).",
        "We stuurden u kort geleden een link. Over {minutes} minuut/minuten kunt u een nieuwe vragen.",
    ),
    "resend_not_pending": (
        "This sign-up no longer waits for confirmation: it was confirmed, or it expired.",
        "Deze aanmelding wacht niet meer op bevestiging: die is bevestigd, of verlopen.",
    ),
    "resend_no_email": (
        "We no longer hold an email address to send the link to.",
        "We hebben geen e-mailadres meer om de link naar te sturen.",
    ),
    "check_mail": (
        "We sent you an email: please confirm your address with the link in it.",
        "We stuurden u een e-mail: bevestig uw adres met de link daarin.",
    ),
    "back": ("Back to the form", "Terug naar het formulier"),
    "not_found": (
        "This form does not exist, or is not published.",
        "Dit formulier bestaat niet, of is niet gepubliceerd.",
    ),
    "bad_token": (
        "This page was open too long, or did not come from us. Please load the form again.",
        "Deze pagina stond te lang open, of kwam niet van ons. Laad het formulier opnieuw.",
    ),
    # The subject's portal
    "portal_title": ("Your data and your consent", "Uw gegevens en uw toestemming"),
    "portal_consent": ("What we ask", "Wat we vragen"),
    "portal_status_waiting": ("We are waiting for your answer.", "We wachten op uw antwoord."),
    "portal_status_obtained": (
        "You have given your consent. You can withdraw it at any time.",
        "U heeft toestemming gegeven. U kunt die altijd intrekken.",
    ),
    "portal_status_denied": ("You said no.", "U zei nee."),
    "portal_status_withdrawn": ("You withdrew your consent.", "U trok uw toestemming in."),
    "portal_status_no_response": (
        "We did not hear from you in time, so we stopped using your data.",
        "We hoorden niet op tijd van u, dus gebruiken we uw gegevens niet meer.",
    ),
    "portal_status_not_requested": ("You have not given consent.", "U heeft geen toestemming gegeven."),
    "portal_yes": ("Yes, I consent", "Ja, ik geef toestemming"),
    "portal_no": ("No", "Nee"),
    "portal_withdraw": ("Withdraw my consent", "Trek mijn toestemming in"),
    "portal_data": ("The data we hold about you", "De gegevens die wij over u hebben"),
    "portal_hidden": (
        "(kept encrypted; ask for a copy to see it)",
        "(versleuteld bewaard; vraag een kopie om het te zien)",
    ),
    "portal_fixed": (
        "Your email address, and what else identifies you, cannot be changed here: this link was sent to that address. "
        "Ask our data protection officer.",
        "Uw e-mailadres, en wat u verder identificeert, kunt u hier niet wijzigen: deze link is naar dat adres gestuurd. "
        "Vraag het onze functionaris voor gegevensbescherming.",
    ),
    "portal_fix_fields": (
        "Some corrections could not be saved: see the marked fields. Nothing was changed.",
        "Sommige correcties konden niet worden opgeslagen: zie de gemarkeerde velden. Er is niets gewijzigd.",
    ),
    "portal_correct": ("Save my corrections", "Mijn correcties opslaan"),
    "portal_rights": ("Your rights", "Uw rechten"),
    "portal_copy": ("Email me a copy of my data", "Mail mij een kopie van mijn gegevens"),
    "portal_erase": ("Erase my data", "Wis mijn gegevens"),
    "portal_dpo": ("Questions? Our data protection officer:", "Vragen? Onze functionaris voor gegevensbescherming:"),
    "portal_done_consent_yes": ("Thank you: your consent is recorded.", "Bedankt: uw toestemming is vastgelegd."),
    "portal_done_consent_no": (
        "Your answer is recorded: we will not use your data for this.",
        "Uw antwoord is vastgelegd: we gebruiken uw gegevens hier niet voor.",
    ),
    "portal_done_withdraw": ("Your consent is withdrawn.", "Uw toestemming is ingetrokken."),
    "portal_done_correct": ("Your corrections are saved.", "Uw correcties zijn opgeslagen."),
    "portal_done_copy": ("We emailed you a copy of your data.", "We hebben u een kopie van uw gegevens gemaild."),
    "portal_erased": (
        "Your data is erased; what the law makes us keep is kept only for that. This link no longer works.",
        "Uw gegevens zijn gewist; wat de wet ons laat bewaren, bewaren we alleen daarvoor. Deze link werkt niet meer.",
    ),
    "portal_unknown": (
        "This link is not valid, has expired, or the data it opened is gone.",
        "Deze link is niet geldig, is verlopen, of de gegevens zijn er niet meer.",
    ),
    # The web UI
    "sign_in": ("Sign in", "Inloggen"),
    "sign_out": ("Sign out", "Uitloggen"),
    "username": ("User name", "Gebruikersnaam"),
    "password": ("Password", "Wachtwoord"),
    "bad_login": ("Unknown user name or wrong password.", "Onbekende gebruikersnaam of verkeerd wachtwoord."),
    "too_many_sign_ins": (
        "Too many failed sign-ins for this user name or from this address. Try again in {minutes} minutes.",
        "Te veel mislukte inlogpogingen voor deze gebruikersnaam of vanaf dit adres. Probeer het over {minutes} minuten opnieuw.",
    ),
    "forms": ("Web forms", "Webformulieren"),
    "your_forms": ("Forms", "Formulieren"),
    "name": ("Name", "Naam"),
    "module": ("Module", "Module"),
    "published": ("Published", "Gepubliceerd"),
    "draft_only": ("draft only", "alleen concept"),
    "no_forms": ("No forms yet.", "Nog geen formulieren."),
    "new_form": ("New form", "Nieuw formulier"),
    "slug_help": (
        "Lower-case letters, digits and dashes; it becomes the form's address.",
        "Kleine letters, cijfers en streepjes; het wordt het adres van het formulier.",
    ),
    "title_en": ("Title (English)", "Titel (Engels)"),
    "title_nl": ("Title (Dutch)", "Titel (Nederlands)"),
    "create": ("Create", "Maken"),
    "texts": ("Texts", "Teksten"),
    "thank_you_en": ("Thank-you text (English)", "Bedanktekst (Engels)"),
    "thank_you_nl": ("Thank-you text (Dutch)", "Bedanktekst (Nederlands)"),
    "double_opt_in": (
        "Double opt-in: the subject confirms their email address before the record is processed (recommended)",
        "Dubbele opt-in: de betrokkene bevestigt het e-mailadres voordat het record wordt verwerkt (aanbevolen)",
    ),
    "fields": ("Fields", "Velden"),
    "fields_help": (
        "Tick the module's fields the form asks for; the order number sets their place.",
        "Vink de velden van de module aan die het formulier vraagt; het volgnummer bepaalt de plaats.",
    ),
    "on_form": ("On the form", "Op het formulier"),
    "order": ("Order", "Volgorde"),
    "field": ("Field", "Veld"),
    "label_en": ("Label (English)", "Label (Engels)"),
    "label_nl": ("Label (Dutch)", "Label (Nederlands)"),
    "required": ("Required", "Verplicht"),
    "ui_forbidden": (
        "You are signed in as {role}; forms are built by marketers and admins. Ask an admin for access.",
        "U bent aangemeld als {role}; formulieren worden gemaakt door marketeers en beheerders. Vraag een beheerder om toegang.",
    ),
    "consent_required": ("Must be ticked to send the form", "Moet aangevinkt zijn om te versturen"),
    "consent_required_help": (
        "Only when the form exists for this purpose, such as a newsletter sign-up: consent to anything else must stay optional.",
        "Alleen als het formulier voor dit doel bestaat, zoals een nieuwsbriefaanmelding: toestemming voor iets anders blijft vrijwillig.",
    ),
    "encrypted": ("encrypted", "versleuteld"),
    "consents": ("Consent statements", "Toestemmingsverklaringen"),
    "consents_help": (
        "One box per purpose, in the exact words the subject agrees to; boxes are never ticked beforehand.",
        "Eén vakje per doel, in de precieze woorden waarmee de betrokkene instemt; vakjes staan nooit vooraf aangevinkt.",
    ),
    "consent": ("Consent", "Toestemming"),
    "purpose": ("Purpose", "Doel"),
    "consent_text_en": ("Wording (English)", "Tekst (Engels)"),
    "consent_text_nl": ("Wording (Dutch)", "Tekst (Nederlands)"),
    "version": ("Version", "Versie"),
    "defaults": ("Values the form fills in", "Waarden die het formulier invult"),
    "defaults_help": (
        "The module needs these fields; the form does not ask for them, so give the value it stores.",
        "De module heeft deze velden nodig; het formulier vraagt er niet om, dus geef de waarde die het opslaat.",
    ),
    "save_check": ("Save and check", "Opslaan en controleren"),
    "publish": ("Publish", "Publiceren"),
    "check": ("Form check", "Formuliercontrole"),
    "outcome_publishable": ("Publishable.", "Kan gepubliceerd worden."),
    "outcome_publishable-with-warnings": (
        "Publishable, with warnings.",
        "Kan gepubliceerd worden, met waarschuwingen.",
    ),
    "outcome_rejected": ("Not publishable: fix the errors.", "Kan niet gepubliceerd worden: los de fouten op."),
    "preview": ("Preview", "Voorbeeld"),
    "embed": ("Embed", "Insluiten"),
    "hosted": ("Hosted page", "Gehoste pagina"),
    "iframe": ("Iframe", "Iframe"),
    "snippet": ("HTML snippet", "HTML-fragment"),
    "snippet_download": (
        "download the form as plain HTML, to paste into a page of your site",
        "download het formulier als gewone HTML, om in een pagina van uw site te plakken",
    ),
    "saved": ("Saved and checked.", "Opgeslagen en gecontroleerd."),
    "now_published": ("Published as version {version}.", "Gepubliceerd als versie {version}."),
}


async def form_pairs(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    """Read a URL-encoded form body as (name, value) pairs, in order, blanks and repeats kept.

    A browser never sends NUL characters; they are dropped so that no database refuses the text.
    """
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return [(name.replace("\x00", ""), value.replace("\x00", "")) for name, value in pairs]


def texts(lang: str) -> dict[str, str]:
    """The page texts in English or Dutch."""
    index = 1 if lang == "nl" else 0
    return {key: pair[index] for key, pair in TEXT.items()}


def render(template: str, **context: Any) -> str:
    """Render one of lawful's templates."""
    return _ENV.get_template(template).render(**context)


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """An HTML response with the security headers every page gets."""
    return Response(body, status_code=status, media_type="text/html", headers={**SECURITY_HEADERS, **(headers or {})})
