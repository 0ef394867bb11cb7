"""The web UI for marketers: sign in, list forms, build one with a live preview and the check, publish (W1, W2)."""

from __future__ import annotations

import asyncio
import hmac
import math
from html import escape
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from engine import Lang, LawfulError
from forms import FormReport, render_form

from ..auth import (
    SESSION_COOKIE,
    Authenticator,
    Principal,
    digest,
    end_session_cookie,
    start_session,
)
from ..builder import (
    BuilderConsent,
    BuilderField,
    BuilderSpec,
    builder_from_schema,
    property_name,
    schema_from_builder,
)
from ..problems import ThrottledError
from ..publishing import FormService
from ..signin import SignInGuard
from ..storage import ModuleLayout, Store
from ..tokens import Signer
from ..web import NO_STORE, form_pairs, html, render, texts

ROLES = ("marketer", "admin")
PREVIEW_TOKEN = "preview"  # noqa: S105 - a preview's form posts nowhere; its CSRF field only shows where the token goes
LOGIN_SECONDS = 3600


def _lang(value: str | None) -> Lang:
    return "nl" if value == "nl" else "en"


def spec_from_pairs(module: str, pairs: list[tuple[str, str]], layout: ModuleLayout) -> BuilderSpec:
    """Read the builder page's inputs into what the builder edits."""
    values = dict(pairs)
    chosen = []
    for position, field in enumerate(f for f in layout.fields if f.subform is None and f.type != "subform"):
        key = f"f.{field.name}"
        if values.get(f"{key}.include"):
            order = values.get(f"{key}.order", "")
            rank = int(order) if order.isdigit() else 1000 + position
            chosen.append(
                (
                    rank,
                    position,
                    BuilderField(
                        field=field.name,
                        label_en=values.get(f"{key}.label_en", "").strip() or field.label,
                        label_nl=values.get(f"{key}.label_nl", "").strip(),
                        required=bool(values.get(f"{key}.required")),
                    ),
                )
            )
    consents = []
    index = 0
    while f"c.{index}.purpose" in values:
        purpose, text_en = values[f"c.{index}.purpose"].strip(), values.get(f"c.{index}.text_en", "").strip()
        if purpose or text_en:
            consents.append(
                BuilderConsent(
                    purpose=purpose or f"purpose_{index + 1}",
                    text_en=text_en,
                    text_nl=values.get(f"c.{index}.text_nl", "").strip(),
                    version=values.get(f"c.{index}.version", "").strip() or "1",
                    required=bool(values.get(f"c.{index}.required")),
                )
            )
        index += 1
    defaults = {name[2:]: value.strip() for name, value in pairs if name.startswith("d.") and value.strip()}
    return BuilderSpec(
        module=module,
        title_en=values.get("title_en", "").strip() or module,
        title_nl=values.get("title_nl", "").strip(),
        fields=[item for _, _, item in sorted(chosen, key=lambda c: (c[0], c[1]))],
        consents=consents,
        double_opt_in=bool(values.get("double_opt_in")),
        thank_you_en=values.get("thank_you_en", "").strip(),
        thank_you_nl=values.get("thank_you_nl", "").strip(),
        defaults=defaults,
    )


def _by_field(report: FormReport | None, spec: BuilderSpec) -> dict[str, list[Any]]:
    consent_of = {f"/properties/consent_{property_name(c.purpose)}": f"consent:{c.purpose}" for c in spec.consents}
    found: dict[str, list[Any]] = {}
    for problem in report.problems if report else ():
        key = problem.crm_field or consent_of.get(problem.pointer, "")
        if problem.rule.startswith("form.required_field") and problem.crm_field:
            key = f"default-{problem.crm_field}"  # shown beside the value the form fills in
        found.setdefault(key, []).append(problem)
    return found


def ui_router(
    store: Store,
    forms: FormService,
    auth: Authenticator,
    guard: SignInGuard,
    signer: Signer,
    public_url: str,
    secure_cookies: bool = False,
) -> Router:
    """Routes under /ui; the session cookie is Secure when `secure_cookies` (the public URL is https)."""

    def who(request: Request[Any, Any, Any]) -> Principal | None:
        session_id = request.cookies.get(SESSION_COOKIE)
        principal = auth.from_session(session_id) if session_id else None
        return principal if principal is not None and principal.role in ROLES else None

    def to_login(request: Request[Any, Any, Any]) -> Response[Any]:
        session_id = request.cookies.get(SESSION_COOKIE)
        signed_in = auth.from_session(session_id) if session_id else None
        if signed_in is not None and signed_in.role not in ROLES:
            # Signed in, but with a role the forms UI is not for: say so rather than ask to sign in again.
            lang = _lang(request.query_params.get("lang"))
            t = texts(lang)
            text = t["ui_forbidden"].format(role=signed_in.role)
            page = render("public/message.html", lang=lang, title=t["forms"], text=text, t=t, back=None, ok=False)
            return html(page, 403)
        return Redirect(f"/ui/login?next={quote(request.url.path)}")

    def checked(principal: Principal, pairs: list[tuple[str, str]]) -> bool:
        token = dict(pairs).get("_csrf_token", "")
        return bool(principal.csrf) and hmac.compare_digest(token, principal.csrf or "")

    def builder_page(
        slug: str, lang: Lang, principal: Principal, spec: BuilderSpec, notice: str = "", failure: str = ""
    ) -> Response[str]:
        t = texts(lang)
        layout = store.module(spec.module)
        report = None
        try:
            report = forms.check(schema_from_builder(spec, layout), lang)[1]
        except LawfulError as exc:
            failure = failure or exc.message
        picked = {f.field: (i, f) for i, f in enumerate(spec.fields)}
        rows = [
            {
                "name": f.name,
                "label": f.label,
                "type": f.type,
                "classification": f.classification,
                "encrypted": f.encrypted,
                "chosen": f.name in picked,
                "order": picked[f.name][0] + 1 if f.name in picked else "",
                "label_en": picked[f.name][1].label_en if f.name in picked else f.label,
                "label_nl": picked[f.name][1].label_nl if f.name in picked else "",
                "required": f.name in picked and picked[f.name][1].required,
            }
            for f in layout.fields
            if f.subform is None and f.type != "subform"
        ]
        missing = [f for f in layout.fields if f.required and f.subform is None and f.name not in picked]
        stored = store.form(slug)
        embed = None
        if stored.current_version:
            embed = {
                "hosted_url": f"{public_url}/f/{slug}",
                "snippet": f"{public_url}/f/{slug}/snippet.html",
                "iframe": f'<iframe src="{public_url}/f/{slug}?embed=1" title="{escape(spec.title_en, quote=True)}" '
                'style="width:100%;min-height:40rem;border:0"></iframe>',
            }
        outcome = report.outcome if report else "rejected"
        body = render(
            "ui/builder.html",
            lang=lang,
            t=t,
            title=f"{t['forms']}: {slug}",
            user=principal,
            csrf=principal.csrf,
            slug=slug,
            spec=spec,
            rows=rows,
            consents=[*spec.consents, BuilderConsent(purpose="", text_en="")],
            missing=missing,
            by_field=_by_field(report, spec),
            problems=report.problems if report else (),
            outcome=outcome,
            publishable=bool(report and report.publishable),
            embed=embed,
            published=stored.current_version,
            notice=notice,
            failure=failure,
        )
        return html(body, 200 if not failure else 422)

    def login_form(lang: Lang, target: str, failure: str = "") -> str:
        t = texts(lang)
        return render(
            "ui/login.html",
            lang=lang,
            t=t,
            title=t["sign_in"],
            user=None,
            csrf=signer.issue("login"),
            next=target,
            notice="",
            failure=failure,
        )

    @get("/", sync_to_thread=False, include_in_schema=False)
    def home() -> Redirect:
        return Redirect("/ui/forms")

    @get("/login", sync_to_thread=False, include_in_schema=False)
    def login_page(lang: FromQuery[str | None] = None, next: FromQuery[str | None] = None) -> Response[str]:  # noqa: A002
        return html(login_form(_lang(lang), next or "/ui/forms"))

    @post("/login", include_in_schema=False, request_max_body_size=8192)
    async def login(request: Request[Any, Any, Any], lang: FromQuery[str | None] = None) -> Response[Any]:
        pairs = dict(await form_pairs(request))
        address = request.client.host if request.client else "unknown"
        return await asyncio.to_thread(sign_in, _lang(lang), pairs, address)

    def sign_in(lang: Lang, pairs: dict[str, str], address: str) -> Response[Any]:
        t = texts(lang)
        target = pairs.get("next", "/ui/forms")
        target = target if target.startswith("/ui/") else "/ui/forms"  # never redirect elsewhere

        def again(failure: str, status: int, headers: dict[str, str] | None = None) -> Response[str]:
            return html(login_form(lang, target, failure), status, headers)

        if not signer.check("login", pairs.get("_csrf_token", ""), LOGIN_SECONDS):
            return again(t["bad_login"], 401)
        try:
            if not guard.verify(pairs.get("username", ""), pairs.get("password", ""), address):
                return again(t["bad_login"], 401)
        except ThrottledError as exc:
            wait = t["too_many_sign_ins"].format(minutes=math.ceil(exc.retry_after / 60))
            return again(wait, 429, {"Retry-After": str(exc.retry_after)})
        cookie, _ = start_session(store, pairs["username"], secure_cookies)
        if "lang=" not in target:  # the language the sign-in page was read in stays on
            target += f"{'&' if '?' in target else '?'}lang={lang}"
        return Redirect(target, cookies=[cookie])

    @post("/logout", include_in_schema=False, request_max_body_size=4096)
    async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
        pairs = await form_pairs(request)
        principal = await asyncio.to_thread(who, request)
        if principal is not None and checked(principal, pairs):
            await asyncio.to_thread(store.end_session, digest(request.cookies.get(SESSION_COOKIE, "")))
        return Redirect("/ui/login", cookies=[end_session_cookie(secure_cookies)])

    @get("/forms", sync_to_thread=True, include_in_schema=False)
    def list_forms(request: Request[Any, Any, Any], lang: FromQuery[str | None] = None) -> Response[Any]:
        principal = who(request)
        if principal is None:
            return to_login(request)
        lang = _lang(lang)
        t = texts(lang)
        return html(
            render(
                "ui/forms.html",
                lang=lang,
                t=t,
                title=t["forms"],
                user=principal,
                csrf=principal.csrf,
                forms=store.forms(),
                modules=[m for m in store.module_names() if m in store.settings().modules] or store.module_names(),
                notice="",
                failure="",
            )
        )

    @post("/forms", include_in_schema=False, request_max_body_size=16384)
    async def create(request: Request[Any, Any, Any], lang: FromQuery[str | None] = None) -> Response[Any]:
        pairs = await form_pairs(request)
        return await asyncio.to_thread(create_form, request, _lang(lang), pairs)

    def create_form(request: Request[Any, Any, Any], lang: Lang, pairs: list[tuple[str, str]]) -> Response[Any]:
        principal = who(request)
        if principal is None or not checked(principal, pairs):
            return to_login(request)
        values = dict(pairs)
        try:
            forms.create(
                values.get("slug", ""), values.get("module", ""), values.get("title_en", "").strip(), principal.actor
            )
        except LawfulError as exc:
            t = texts(lang)
            return html(
                render(
                    "ui/forms.html",
                    lang=lang,
                    t=t,
                    title=t["forms"],
                    user=principal,
                    csrf=principal.csrf,
                    forms=store.forms(),
                    modules=store.module_names(),
                    notice="",
                    failure=exc.message,
                ),
                422,
            )
        return Redirect(f"/ui/forms/{values['slug']}?lang={lang}")

    @get("/forms/{slug:str}", sync_to_thread=True, include_in_schema=False)
    def builder(
        request: Request[Any, Any, Any], slug: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[Any]:
        principal = who(request)
        if principal is None:
            return to_login(request)
        return builder_page(slug, _lang(lang), principal, builder_from_schema(store.form(slug).draft))

    @post("/forms/{slug:str}", include_in_schema=False, request_max_body_size=256 * 1024)
    async def save(
        request: Request[Any, Any, Any], slug: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[Any]:
        pairs = await form_pairs(request)
        return await asyncio.to_thread(save_form, request, slug, _lang(lang), pairs)

    def save_form(
        request: Request[Any, Any, Any], slug: str, lang: Lang, pairs: list[tuple[str, str]]
    ) -> Response[Any]:
        principal = who(request)
        if principal is None or not checked(principal, pairs):
            return to_login(request)
        t = texts(lang)
        module = store.form(slug).module
        spec = spec_from_pairs(module, pairs, store.module(module))
        try:
            forms.save_draft(slug, schema_from_builder(spec, store.module(module)), principal.actor)
            if dict(pairs).get("action") == "publish":
                version = forms.publish(slug, principal.actor)
                return builder_page(
                    slug, lang, principal, spec, notice=t["now_published"].format(version=version.version)
                )
        except LawfulError as exc:
            return builder_page(slug, lang, principal, spec, failure=exc.message)
        return builder_page(slug, lang, principal, spec, notice=t["saved"])

    @get("/forms/{slug:str}/preview", sync_to_thread=True, include_in_schema=False)
    def preview(
        request: Request[Any, Any, Any], slug: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[Any]:
        if who(request) is None:
            return to_login(request)
        form, _ = forms.check(store.form(slug).draft)
        return html(render_form(form, lang=_lang(lang), action="#", csrf_token=PREVIEW_TOKEN))

    @post("/forms/{slug:str}/preview", include_in_schema=False, request_max_body_size=256 * 1024)
    async def live(
        request: Request[Any, Any, Any], slug: FromPath[str], lang: FromQuery[str | None] = None
    ) -> Response[Any]:
        pairs = await form_pairs(request)
        return await asyncio.to_thread(live_preview, request, slug, _lang(lang), pairs)

    def live_preview(
        request: Request[Any, Any, Any], slug: str, lang: Lang, pairs: list[tuple[str, str]]
    ) -> Response[Any]:
        principal = who(request)
        if principal is None or not checked(principal, pairs):
            return Response(
                {"error": "sign in again"}, status_code=401
            )  # the page shows nothing new; a reload signs in
        module = store.form(slug).module
        spec = spec_from_pairs(module, pairs, store.module(module))
        try:
            form, report = forms.check(schema_from_builder(spec, store.module(module)), lang)
        except LawfulError as exc:
            return Response(
                {
                    "preview": "",
                    "problems": [{"rule": exc.code, "severity": "error", "message": exc.message}],
                    "by_field": {},
                    "outcome": "rejected",
                    "outcome_text": exc.message,
                    "publishable": False,
                },
                status_code=200,
            )
        by_field = {k: [msgspec.to_builtins(p) for p in v] for k, v in _by_field(report, spec).items()}
        return Response(
            {
                "preview": render_form(form, lang=lang, action="#", csrf_token=PREVIEW_TOKEN),
                "problems": [msgspec.to_builtins(p) for p in report.problems],
                "by_field": by_field,
                "outcome": report.outcome,
                "outcome_text": texts(lang)[f"outcome_{report.outcome}"],
                "publishable": report.publishable,
            },
            status_code=200,
        )

    return Router(
        "/ui",
        route_handlers=[home, login_page, login, logout, list_forms, create, builder, save, preview, live],
        include_in_schema=False,
        cache_control=NO_STORE,  # pages with CSRF tokens and a signed-in user's work
    )
