"""Form endpoints for marketers: drafts, the check, publishing, embedding, submissions (W1, W2)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get, post, put
from litestar.params import FromPath, JSONBody

from engine import RequestError
from forms import FormReport

from ..auth import allow, principal_of
from ..builder import BuilderSpec, schema_from_builder
from ..publishing import FormService
from ..release import SEES_EVERY_FIELD, without_proof_context
from ..storage import FormVersion, Store, StoredForm, StoredSubmission
from ..submissions import SubmissionService


class Draft(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A draft as a JSON Schema with lawful's x- keywords, or as what the builder edits."""

    schema: dict[str, Any] | None = None
    builder: BuilderSpec | None = None


class FormDetail(msgspec.Struct, frozen=True):
    """A form, its draft, and every published version."""

    form: StoredForm
    versions: list[FormVersion]


class Embedding(msgspec.Struct, frozen=True):
    """Three ways to put a published form on a web site."""

    hosted_url: str
    iframe: str
    html_snippet_url: str


def forms_router(store: Store, forms: FormService, submissions: SubmissionService) -> Router:
    """Routes under /api/v1/forms and /api/v1/submissions."""

    def schema_of(body: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema a body gives: `{"schema": ...}`, `{"builder": ...}`, or a schema file as it is."""
        if not body or not set(body) <= {"schema", "builder"}:
            if "properties" in body or "x-crm-module" in body or "$schema" in body:
                return body  # a JSON Schema sent as it is
            raise RequestError(
                "request.missing",
                'expected a JSON Schema, or {"schema": <JSON Schema>} or {"builder": <the builder\'s fields>}, '
                f"found an object with {', '.join(sorted(body)) or 'no members'} - at $",
            )
        try:
            draft = msgspec.convert(body, Draft)
        except msgspec.ValidationError as exc:
            raise RequestError("request.invalid", f"{exc}".replace("`", "'")) from None
        if draft.builder is not None:
            return schema_from_builder(draft.builder, store.module(draft.builder.module))
        if draft.schema is not None:
            return draft.schema
        raise RequestError("request.missing", "expected 'schema' or 'builder', found neither - at $")

    @get("/forms", sync_to_thread=True, summary="List forms", **allow("marketer", "admin"))
    def list_forms() -> list[StoredForm]:
        return store.forms()

    @get("/forms/{slug:str}", sync_to_thread=True, summary="A form with its versions", **allow("marketer", "admin"))
    def one(slug: FromPath[str]) -> FormDetail:
        return FormDetail(store.form(slug), store.form_versions(slug))

    @put(
        "/forms/{slug:str}/draft",
        sync_to_thread=True,
        summary="Create a form or replace its draft",
        **allow(
            "marketer",
            "admin",
            doc='The body is a JSON Schema with lawful\'s x- keywords, as it is or as {"schema": ...}, '
            'or the builder\'s fields as {"builder": {"module": ..., "fields": [...], ...}}.',
        ),
    )
    def save(request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[dict[str, Any]]) -> StoredForm:
        return forms.save_draft(slug, schema_of(data), principal_of(request).actor)

    @post(
        "/forms/check",
        status_code=200,
        sync_to_thread=True,
        summary="Check a form without saving it (W2)",
        **allow("marketer", "admin", doc="The body is as for a draft."),
    )
    def check(data: JSONBody[dict[str, Any]]) -> FormReport:
        return forms.check(schema_of(data))[1]

    @post(
        "/forms/{slug:str}/publish",
        status_code=201,
        sync_to_thread=True,
        summary="Publish the draft as a new version",
        **allow("marketer", "admin", doc="Refused with every error when the form check rejects the form."),
    )
    def publish(request: Request[Any, Any, Any], slug: FromPath[str]) -> FormVersion:
        return forms.publish(slug, principal_of(request).actor)

    @get(
        "/forms/{slug:str}/embed",
        sync_to_thread=True,
        summary="How to embed the published form",
        **allow("marketer", "admin"),
    )
    def embed(slug: FromPath[str]) -> Embedding:
        store.form_version(slug)
        base = submissions.public_url
        iframe = (
            f'<iframe src="{base}/f/{slug}?embed=1" title="{slug}" style="width:100%;min-height:40rem;border:0" '
            f'loading="lazy"></iframe>'
        )
        return Embedding(f"{base}/f/{slug}", iframe, f"{base}/f/{slug}/snippet.html")

    @get(
        "/submissions/{submission_id:str}",
        sync_to_thread=True,
        summary="One submission with its proof of consent (W4)",
        **allow(
            "marketer",
            "admin",
            doc="Never the changes waiting for confirmation (kept encrypted); the network address and browser "
            "the answer came from only to admins.",
        ),
    )
    def submission(request: Request[Any, Any, Any], submission_id: FromPath[str]) -> StoredSubmission:
        return shown(principal_of(request).role, store.submission(submission_id))

    @post(
        "/submissions/{submission_id:str}/resend",
        status_code=200,
        sync_to_thread=True,
        summary="Send the confirmation email again (throttled)",
        **allow("marketer", "admin"),
    )
    def resend(request: Request[Any, Any, Any], submission_id: FromPath[str]) -> StoredSubmission:
        return shown(principal_of(request).role, submissions.resend(submission_id))

    def shown(role: str, found: StoredSubmission) -> StoredSubmission:
        proof = {k: v for k, v in found.proof.items() if k != "pending"}
        if role not in SEES_EVERY_FIELD:
            proof = without_proof_context(proof)
        return msgspec.structs.replace(found, proof=proof)

    return Router(
        "/api/v1", route_handlers=[list_forms, one, save, check, publish, embed, submission, resend], tags=["forms"]
    )
