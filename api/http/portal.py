"""The subject's portal pages under /p (C5, DS6): no sign-in; the link is the key, CSRF tokens are signed."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery

from engine import Lang, LawfulError
from forms.messages import message

from ..portal import PortalService
from ..storage import FieldLayout, ModuleLayout, PortalLink, StoredRecord
from ..tokens import Signer
from ..web import NO_STORE, form_pairs, html, render, texts

PAGE_SECONDS = 24 * 3600
# A record problem's code, and the form message that says it to the subject.
_PROBLEM_WORDS = {"required": "required", "too_large": "not_storable", "invalid_value": "format"}
_ACTIONS = ("consent_yes", "consent_no", "withdraw", "correct", "copy", "erase")


def shown_fields(layout: ModuleLayout) -> list[FieldLayout]:
    """The fields the portal shows the subject: their personal data, as the CRM keeps it."""
    return [
        f
        for f in layout.fields
        if f.classification != "none"
        and not f.read_only
        and f.subform is None
        and f.type not in ("fileupload", "profileimage")
    ]


def correctable(field: FieldLayout) -> bool:
    """Whether the subject may change a shown field in the portal (DS2).

    Not an encrypted field, which the page does not show; and not an email address or another
    unique field: the link was mailed to that address, so it is how the subject is known, and
    changing it would hand their rights (copy, erasure) over to whoever holds the new value.
    """
    return not field.encrypted and not field.unique and field.type != "email"


def _lang(value: str | None, fallback: str = "en") -> Lang:
    chosen = value or fallback
    return "nl" if chosen == "nl" else "en"


def portal_router(portal: PortalService, signer: Signer) -> Router:
    """Routes under /p."""
    store = portal.store

    def page(
        token: str,
        link: PortalLink,
        record: StoredRecord,
        lang: Lang,
        *,
        notice: str = "",
        failure: str = "",
        errors: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response[str]:
        t = texts(lang)
        layout = store.module(record.module)
        ask = link.request
        fields = [
            {
                "name": f.name,
                "label": f.label,
                "value": (typed or {}).get(f.name, record.data.get(f.name, "")),
                "secret": f.encrypted,
                "fixed": not correctable(f),
                "error": (errors or {}).get(f.name),
            }
            for f in shown_fields(layout)
        ]
        body = render(
            "public/portal.html",
            lang=lang,
            title=t["portal_title"],
            t=t,
            status=record.consent_status,
            fields=fields,
            ask_text=ask.get("text_nl") if lang == "nl" and ask.get("text_nl") else ask.get("text_en", ""),
            action=f"/p/{token}?lang={lang}",
            csrf_token=signer.issue(f"portal:{link.digest[:16]}"),
            dpo=store.settings().dpo,
            notice=notice,
            failure=failure,
        )
        return html(body, status)

    def gone(lang: Lang) -> Response[str]:
        t = texts(lang)
        return html(
            render(
                "public/message.html",
                lang=lang,
                title=t["portal_title"],
                text=t["portal_unknown"],
                t=t,
                back=None,
                ok=False,
            ),
            404,
        )

    @get("/{token:str}", sync_to_thread=True, include_in_schema=False)
    def show(token: FromPath[str], lang: FromQuery[str | None] = None) -> Response[str]:
        found = portal.open(token)
        if found is None:
            return gone(_lang(lang))
        link, record = found
        return page(token, link, record, _lang(lang, link.lang))

    @post("/{token:str}", include_in_schema=False, request_max_body_size=64 * 1024)
    async def act(
        request: Request[Any, Any, Any], token: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[str]:
        pairs = await form_pairs(request)
        context = {
            "ip": request.client.host if request.client else "unknown",
            "user_agent": request.headers.get("user-agent", "")[:500],
        }
        return await asyncio.to_thread(handle, token, lang, pairs, context)

    def handle(
        token: str, lang_given: str | None, pairs: list[tuple[str, str]], context: dict[str, str]
    ) -> Response[str]:
        found = portal.open(token)
        if found is None:
            return gone(_lang(lang_given))
        link, record = found
        lang = _lang(lang_given, link.lang)
        values = dict(pairs)
        action = values.get("action", "")
        if (
            not signer.check(f"portal:{link.digest[:16]}", values.get("_csrf_token", ""), PAGE_SECONDS)
            or action not in _ACTIONS
        ):
            return page(token, link, record, lang, failure=texts(lang)["bad_token"], status=403)
        t = texts(lang)
        changes: dict[str, str] = {}
        try:
            if action in ("consent_yes", "consent_no"):
                record = portal.answer(link, record, action == "consent_yes", {**context, "lang": lang})
            elif action == "withdraw":
                record = portal.answer(link, record, False, context)
            elif action == "correct":
                editable = {f.name for f in shown_fields(store.module(record.module)) if correctable(f)}
                changes = {
                    name[2:]: value
                    for name, value in pairs
                    if name.startswith("f.") and name[2:] in editable and record.data.get(name[2:], "") != value
                }
                record = portal.correct(record, {k: (v or None) for k, v in changes.items()}) if changes else record
            elif action == "copy":
                portal.copy(record, lang)
            else:
                portal.erase(record, lang)
                return html(
                    render(
                        "public/message.html",
                        lang=lang,
                        title=t["portal_title"],
                        text=t["portal_erased"],
                        t=t,
                        back=None,
                        ok=True,
                    )
                )
        except LawfulError as exc:
            # Said in the page's language, by field label; what the subject typed is shown again,
            # so that one mistake does not cost the other corrections.
            labels = {f.name: f.label for f in store.module(record.module).fields}
            errors = {
                name: message(_PROBLEM_WORDS.get(p.code, "format"), lang, label=labels.get(name, name))
                for p in exc.problems
                if p.path and (name := p.path.rsplit(".", 1)[-1])
            }
            failure = t["portal_fix_fields"] if errors else exc.message
            return page(
                token, link, store.record(record.id), lang, failure=failure, errors=errors, typed=changes, status=409
            )
        return page(token, link, record, lang, notice=t[f"portal_done_{action}"])

    # Every portal page shows the subject's data, or tells whether a link is live: never kept.
    return Router("/p", route_handlers=[show, act], include_in_schema=False, cache_control=NO_STORE)
