"""The composition root: wire the store, the rules and the services into a litestar app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from litestar import Litestar, Router, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from .auth import Authenticator
from .blocklist import Blocklist
from .bodies import StrictJsonRequest
from .config import Config
from .decisions import DecisionService
from .http.access import access_router
from .http.decisions import decision_router
from .http.forms import forms_router
from .http.lifecycle import lifecycle_router
from .http.portal import portal_router
from .http.public import public_router
from .http.records import module_router, record_router
from .http.rights import rights_router
from .http.rulesets import ruleset_router
from .http.settings import settings_router
from .http.ui import ui_router
from .lifecycles import LifecycleService
from .mail import MailQueue, Transport, mailer_from
from .portal import PortalService
from .problems import EXCEPTION_HANDLERS
from .publishing import FormService
from .records import RecordService
from .release import RecordRelease
from .rights import RightsService
from .rules_host import RulesHost
from .secrets import load_secret
from .settings import SettingsService, versions_in_use
from .signin import SignInGuard
from .storage import Store
from .submissions import SubmissionService
from .tokens import Signer
from .web import NO_STORE

log = logging.getLogger("lawful")


class Services:
    """Everything the handlers use, built once per process."""

    def __init__(
        self,
        config: Config,
        store: Store | None = None,
        rules: RulesHost | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.config = config
        secret = self.secret = load_secret(config.var_dir)
        self.store = store or Store.open(config.database_url, secret=secret)
        self.rules = rules or RulesHost(config.rules_path, in_use=lambda: versions_in_use(self.store))
        missing = sorted(set(versions_in_use(self.store)) - {r.version for r in self.rules.library.versions})
        if missing:  # every decision will fail until the files hold it again or the pin changes
            log.error(
                "the settings pin ruleset version(s) %s, which %s does not hold: restore the files or change "
                "the pin (settings: pinned_version)",
                ", ".join(missing),
                config.rules_path,
            )
        self.decisions = DecisionService(self.store, self.rules)
        self.release = RecordRelease(self.decisions)
        self.lifecycles = LifecycleService(self.store, self.rules)
        self.blocklist = Blocklist(self.store, secret)
        self.records = RecordService(self.store, self.rules, self.blocklist)
        self.auth = Authenticator(self.store)
        self.sign_in = SignInGuard(self.store, secret)
        self.settings = SettingsService(self.store, self.rules, self.lifecycles)
        self.mailer = MailQueue(
            self.store, transport or mailer_from(config.smtp_url, config.var_dir / "outbox", config.mail_from)
        )
        self.rights = RightsService(self.store, self.rules, self.records, self.mailer)
        self.forms = FormService(self.store, self.rules)
        self.submissions = SubmissionService(
            self.store,
            self.forms,
            self.records,
            self.lifecycles,
            self.mailer,
            secret,
            config.public_url,
            config.form_rate_limit,
        )

        self.portal = PortalService(
            self.store, self.lifecycles, self.records, self.rights, self.mailer, config.public_url
        )

    def sweep(self, actor: str = "sweep") -> dict[str, int]:
        """Expire unconfirmed submissions, move overdue waiting records to no_response (C3, W3), and
        try again the mail the server did not take before."""
        expired = self.submissions.expire()
        moved = self.lifecycles.sweep(actor)
        return {"moved": moved, "submissions_expired": expired, "mail_sent": self.mailer.deliver_due()}


def create_app(config: Config | None = None, services: Services | None = None) -> Litestar:
    """Build the app; rule files are watched and reloaded, keeping the last good ones on error."""
    config = config or Config.from_env()
    services = services or Services(config)

    @get("/", sync_to_thread=False, include_in_schema=False)
    def root() -> Redirect:
        return Redirect("/ui/")  # people who open the server's address land on the web UI

    @get("/healthz", sync_to_thread=True, include_in_schema=False)
    def health() -> dict[str, str | int]:
        return {"status": "ok", "ruleset": services.rules.library.name, "mail_waiting": services.store.mail_waiting()}

    @contextlib.asynccontextmanager
    async def background(_app: Litestar) -> AsyncIterator[None]:
        async def every(seconds: float, job: Callable[[], object], name: str) -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await asyncio.to_thread(job)
                except Exception:  # a failed run is logged; the next one tries again
                    log.exception("background job %s failed", name)

        tasks = [asyncio.create_task(every(config.reload_interval, services.rules.reload_if_changed, "rules reload"))]
        if config.sweep_interval > 0:
            tasks.append(asyncio.create_task(every(config.sweep_interval, services.sweep, "sweep")))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    app = Litestar(
        route_handlers=[
            root,
            health,
            # Answers under /api hold personal data and decisions of a moment, which no browser or
            # proxy may keep; problem answers (errors, unknown routes) say the same, see problems.py.
            Router(
                "/",
                cache_control=NO_STORE,
                route_handlers=[
                    decision_router(services.decisions),
                    ruleset_router(services.rules, services.store),
                    record_router(services.store, services.records, services.release, services.lifecycles),
                    module_router(services.store, services.rules),
                    lifecycle_router(
                        services.store,
                        services.lifecycles,
                        services.blocklist,
                        services.sweep,
                        services.portal,
                        services.release,
                    ),
                    access_router(services.store, services.auth, services.sign_in, config.https),
                    settings_router(services.store, services.settings, services.decisions),
                    rights_router(services.store, services.rights),
                    forms_router(services.store, services.forms, services.submissions),
                ],
            ),
            public_router(services.submissions),
            portal_router(services.portal, Signer(services.secret, services.store.clock, b"lawful portal")),
            ui_router(
                services.store,
                services.forms,
                services.auth,
                services.sign_in,
                Signer(services.secret, services.store.clock),
                config.public_url,
                config.https,
            ),
            create_static_files_router(
                path="/static", directories=[Path(__file__).parent / "static"], include_in_schema=False
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=StrictJsonRequest,
        lifespan=[background],
        openapi_config=OpenAPIConfig(
            title="lawful",
            version="0.1.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            description="GDPR compliance decisions for CRM data. Send an API key as 'Authorization: Bearer <key>'; "
            "each operation says which roles may call it.",
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        ),
    )
    app.state.services = services
    return app
