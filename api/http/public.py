"""Public pages: forms to fill in, submissions, and double opt-in confirmation (W1, W3)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery

from engine import ConflictError, Lang, LawfulError, NotFoundError
from forms import CSRF_FIELD, render_form, render_thank_you

from ..problems import ThrottledError
from ..submissions import CONFIRM_PAGE_SECONDS, FORM_TOKEN_SECONDS, RATE_WINDOW, SubmissionService
from ..web import NO_STORE, form_pairs, html, render, texts

MAX_BODY = 256 * 1024


def _lang(value: str | None) -> Lang:
    return "nl" if value == "nl" else "en"


def public_router(submissions: SubmissionService) -> Router:
    """Routes under /f: public, no sign-in; CSRF tokens are signed and time-limited."""
    forms = submissions.forms

    def page(slug: str, lang: Lang, embed: bool, values: Any = None, errors: Any = ()) -> str:
        form, _ = forms.published(slug)
        return render_form(
            form,
            lang=lang,
            action=f"/f/{slug}?lang={lang}{'&embed=1' if embed else ''}",
            csrf_token=submissions.page_token(f"form:{slug}"),
            values=values,
            errors=errors,
            embed=embed,
        )

    def message(
        lang: Lang, key: str, status: int, back: str | None = None, headers: dict[str, str] | None = None
    ) -> Response[str]:
        t = texts(lang)
        body = render("public/message.html", lang=lang, title=t[key], text=t[key], t=t, back=back, ok=status < 400)
        return html(body, status, headers)

    @get("/{slug:str}", sync_to_thread=True, include_in_schema=False)
    def show(
        slug: FromPath[str], lang: FromQuery[str | None] = None, embed: FromQuery[str | None] = None
    ) -> Response[str]:
        lang = _lang(lang)
        try:
            return html(page(slug, lang, embed == "1"))
        except LawfulError:
            return message(lang, "not_found", 404)

    @get("/{slug:str}/snippet.html", sync_to_thread=True, include_in_schema=False)
    def snippet(slug: FromPath[str], lang: FromQuery[str | None] = None) -> Response[str]:
        lang = _lang(lang)
        try:
            form, _ = forms.published(slug)
        except LawfulError:
            return message(lang, "not_found", 404)
        body = render_form(
            form,
            lang=lang,
            action=f"{submissions.public_url}/f/{slug}?lang={lang}",
            csrf_token=submissions.page_token(f"form:{slug}"),
            embed=True,
        )
        return html(body, headers={"Content-Disposition": f'inline; filename="{slug}-{lang}.html"'})

    # A submission's answer may show what the subject typed (a form in error) and confirmation pages
    # tell the state of a link: no browser or proxy keeps them. The empty form and snippet may be kept.
    @post("/{slug:str}", include_in_schema=False, request_max_body_size=MAX_BODY, cache_control=NO_STORE)
    async def submit(
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        lang: FromQuery[str | None] = None,
        embed: FromQuery[str | None] = None,
    ) -> Response[str]:
        pairs = await form_pairs(request)
        return await asyncio.to_thread(handle_submit, request, slug, _lang(lang), embed == "1", pairs)

    def handle_submit(
        request: Request[Any, Any, Any], slug: str, lang: Lang, embedded: bool, pairs: list[tuple[str, str]]
    ) -> Response[str]:
        token = next((v for k, v in pairs if k == CSRF_FIELD), "")
        if not submissions.is_valid_token(f"form:{slug}", token, FORM_TOKEN_SECONDS):
            return message(lang, "bad_token", 403, back=f"/f/{slug}?lang={lang}")
        try:
            result = submissions.submit(
                slug,
                pairs,
                lang=lang,
                ip=request.client.host if request.client else "unknown",
                user_agent=request.headers.get("user-agent", "")[:500],
                page_url=request.headers.get("referer", f"{submissions.public_url}/f/{slug}")[:2000],
            )
        except NotFoundError:
            return message(lang, "not_found", 404)
        form, _ = forms.published(slug)
        if result.outcome == "invalid":
            return html(page(slug, lang, embedded, result.parsed.values, result.parsed.errors), 422)  # type: ignore[union-attr]
        if result.outcome == "limited":
            return message(lang, "limited", 429, headers={"Retry-After": str(int(RATE_WINDOW.total_seconds()))})
        if result.outcome == "refused":
            return message(lang, "refused", 409)
        if result.outcome == "broken":
            return message(lang, "broken", 503)
        if result.stored is not None and result.stored.status == "pending":
            t = texts(lang)
            return html(
                render(
                    "public/thanks.html",
                    lang=lang,
                    title=form.title.get(lang),
                    thank_you=form.thank_you.get(lang),
                    t=t,
                    resend_action=f"/f/resend/{result.stored.id}?lang={lang}",
                    csrf_token=submissions.page_token(f"resend:{result.stored.id}"),
                )
            )
        return html(render_thank_you(form, lang=lang, embed=embedded))

    @get("/confirm/{token:str}", sync_to_thread=True, include_in_schema=False, cache_control=NO_STORE)
    def confirm_page(token: FromPath[str], lang: FromQuery[str | None] = None) -> Response[str]:
        # Mail scanners open links: opening this page changes nothing; the button does.
        found = submissions.pending(token)
        lang = _lang(lang or (found.stored.lang if found.stored else None))
        state = "ready" if found.outcome == "confirmed" else found.outcome
        t = texts(lang)
        return html(
            render(
                "public/confirm.html",
                lang=lang,
                title=t["confirm_title"],
                t=t,
                state=state,
                action=f"/f/confirm/{token}?lang={lang}",
                csrf_token=submissions.page_token(f"confirm:{token[:16]}"),
            ),
            200 if state in ("ready", "already") else 410 if state == "expired" else 404,
        )

    @post("/confirm/{token:str}", include_in_schema=False, request_max_body_size=4096, cache_control=NO_STORE)
    async def confirm(
        request: Request[Any, Any, Any], token: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[str]:
        pairs = dict(await form_pairs(request))
        return await asyncio.to_thread(handle_confirm, token, _lang(lang), pairs)

    def handle_confirm(token: str, lang: Lang, pairs: dict[str, str]) -> Response[str]:
        t = texts(lang)
        if not submissions.is_valid_token(f"confirm:{token[:16]}", pairs.get(CSRF_FIELD, ""), CONFIRM_PAGE_SECONDS):
            return message(lang, "bad_token", 403)
        result = submissions.confirm(token)
        status = {"confirmed": 200, "already": 200, "expired": 410}.get(result.outcome, 404)
        return html(
            render(
                "public/confirm.html",
                lang=lang,
                title=t["confirm_title"],
                t=t,
                state=result.outcome,
                action="",
                csrf_token="",
            ),
            status,
        )

    @post("/resend/{submission_id:str}", include_in_schema=False, request_max_body_size=4096, cache_control=NO_STORE)
    async def resend(
        request: Request[Any, Any, Any], submission_id: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[str]:
        pairs = dict(await form_pairs(request))
        return await asyncio.to_thread(handle_resend, submission_id, _lang(lang), pairs)

    def handle_resend(submission_id: str, lang: Lang, pairs: dict[str, str]) -> Response[str]:
        if not submissions.is_valid_token(f"resend:{submission_id}", pairs.get(CSRF_FIELD, ""), CONFIRM_PAGE_SECONDS):
            return message(lang, "bad_token", 403)
        t = texts(lang)
        try:
            submissions.resend(submission_id)
        except (ConflictError, ThrottledError) as exc:
            headers, status = None, 409
            text = t["resend_no_email"] if exc.code == "submission.no_email" else t["resend_not_pending"]
            if isinstance(exc, ThrottledError):
                headers, status = {"Retry-After": str(exc.retry_after)}, 429
                text = t["resend_too_soon"].format(minutes=math.ceil(exc.retry_after / 60))
            body = render("public/message.html", lang=lang, title=t["resend"], text=text, t=t, back=None, ok=False)
            return html(body, status, headers)
        return message(lang, "resent", 200)

    return Router("/f", route_handlers=[show, snippet, submit, confirm_page, confirm, resend])
