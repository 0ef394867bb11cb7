"""Forms as marketers keep them: drafts, the engine's check, immutable published versions (W1, W2)."""

from __future__ import annotations

import re
import threading
from typing import Any

import msgspec

from engine import ConflictError, Lang, Problem, RequestError
from forms import Form, FormReport, check_form, load_form

from .builder import BuilderSpec, schema_from_builder
from .decisions import engine_settings, module_facts
from .records import check_data
from .rules_host import RulesHost
from .storage import FormVersion, ModuleLayout, Store, StoredForm

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
# Names the public pages use themselves: /f/confirm/<token>, /f/resend/<id>.
RESERVED_SLUGS = frozenset({"confirm", "resend"})


def _check_slug(slug: str) -> None:
    if not _SLUG.match(slug):
        raise RequestError(
            "form.bad_name",
            f"a form's name is lower-case letters, digits and dashes (up to 80), found {slug!r} - at $.slug",
        )
    if slug in RESERVED_SLUGS:
        raise RequestError(
            "form.bad_name",
            f"a form cannot be called {slug!r}: the public pages use that name - at $.slug",
        )


def _check_defaults(form: Form, layout: ModuleLayout) -> None:
    """The values a form fills in itself (x-crm-defaults) must fit the module, or every submission would fail."""
    try:
        check_data(layout, dict(form.crm_defaults), partial=True, at="$.x-crm-defaults")
    except RequestError as exc:
        raise RequestError("form.bad_defaults", f"x-crm-defaults: {exc.message}", exc.problems) from None


class FormService:
    """Save drafts, check them, publish versions, and serve the published ones."""

    def __init__(self, store: Store, rules: RulesHost) -> None:
        self.store, self.rules = store, rules
        self._lock = threading.Lock()
        self._published: dict[tuple[str, int], tuple[Form, FormVersion]] = {}

    def create(self, slug: str, module: str, title: str, actor: str) -> StoredForm:
        """Start a form for a module, with no fields yet: the builder adds them; an existing name is refused."""
        _check_slug(slug)
        if self.store.has_form(slug):
            raise ConflictError("form.exists", f"a form called {slug!r} already exists - at $.slug")
        name = self.store.resolve_module(module)
        spec = BuilderSpec(module=name, title_en=title or slug)
        return self.store.save_draft(slug, name, schema_from_builder(spec, self.store.module(name)), actor)

    def save_draft(self, slug: str, schema: dict[str, Any], actor: str) -> StoredForm:
        """Store a draft; one that cannot be read as a form is refused with every problem."""
        _check_slug(slug)
        form = load_form(schema)
        module = self.store.resolve_module(form.module)
        _check_defaults(form, self.store.module(module))
        return self.store.save_draft(slug, module, {**schema, "x-crm-module": module}, actor)

    def check(self, schema: dict[str, Any], lang: Lang = "en") -> tuple[Form, FormReport]:
        """Ask the engine whether a form may be published (W2)."""
        form = load_form(schema)
        layout = self.store.module(form.module)
        settings = self.store.settings()
        now = self.store.clock()
        report = check_form(
            form,
            self.rules.active(now, settings.pinned_version),
            module_facts(layout),
            settings=engine_settings(settings),
            at=now,
            lang=lang,
        )
        return form, report

    def publish(self, slug: str, actor: str) -> FormVersion:
        """Publish the draft as a new version, unless the check rejects it."""
        draft = self.store.form(slug).draft
        form, report = self.check(draft)
        _check_defaults(form, self.store.module(form.module))
        if not report.publishable:
            raise ConflictError(
                "form.rejected",
                f"the form check rejects this form: {len(report.problems)} problem(s)",
                [Problem(p.rule, p.message, path=p.pointer) for p in report.problems if p.severity == "error"],
            )
        return self.store.publish(slug, draft, form.digest, msgspec.to_builtins(report), actor)

    def published(self, slug: str) -> tuple[Form, FormVersion]:
        """The current published version of a form, read once per version."""
        version = self.store.form_version(slug)
        key = (slug, version.version)
        with self._lock:
            cached = self._published.get(key)
        if cached is None:
            cached = (load_form(version.schema), version)
            with self._lock:
                self._published[key] = cached
        return cached
