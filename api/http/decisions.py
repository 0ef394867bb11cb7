"""Decision endpoints: one question, or many in a batch."""

from __future__ import annotations

from litestar import Router, post
from litestar.params import JSONBody

from engine import Decision

from ..auth import allow
from ..decisions import BatchQuery, BatchResult, DecisionQuery, DecisionService


def decision_router(service: DecisionService) -> Router:
    """Routes under /api/v1/decisions."""

    @post(
        "/",
        status_code=200,
        sync_to_thread=False,
        summary="Ask one question",
        **allow(
            "app",
            "admin",
            "analyst",
            doc="Field release, processing, field marking or record add, about a stored record (record_id) or facts given inline.",
        ),
    )
    def decide(data: JSONBody[DecisionQuery]) -> Decision:
        return service.decide(data)

    @post(
        "/batch",
        status_code=200,
        sync_to_thread=True,
        summary="Ask many questions at once",
        **allow(
            "app",
            "admin",
            "analyst",
            doc="Up to 10,000 queries; each gets a decision, or an error by index while the others are answered.",
        ),
    )
    def decide_batch(data: JSONBody[BatchQuery]) -> BatchResult:
        return service.decide_batch(data)

    return Router("/api/v1/decisions", route_handlers=[decide, decide_batch], tags=["decisions"])
