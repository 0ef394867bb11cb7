"""Run lifecycle transitions on durable-rules, safely.

durable-rules keeps state in memory, loses about one `post` result in a few thousand to its own
background thread, allows 1,024 live sessions per ruleset, keys sessions by an unchecked 32-bit
hash and cannot replace a registered ruleset. So the record's state lives in our database, not
here: each event is posted to a new session with a random id, the transition is read back from
what the rule's action wrote into the session state (never from `post`'s return value), checked
(same session, no error, a state present) and the session is deleted at once. Each transition
of a lifecycle file is one durable-rules rule over (state, event, guard facts). Every ruleset
version gets its own host; no durable-rules timers are used.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from durable import engine as durable

from .conditions import Typed
from .errors import ConflictError, RequestError
from .expressions import BoolOp, Call, Compare, Not
from .lifecycle import Lifecycle, Outcome, normalise_facts

_NEGATED: dict[str, str | None] = {"==": "$neq", "!=": None, "<": "$gte", "<=": "$gt", ">": "$lte", ">=": "$lt"}
_DIRECT: dict[str, str | None] = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_names = itertools.count(1)


def _key(fact: str) -> str:
    return fact.replace(".", "__")


def guard_to_durable(typed: Typed, negate: bool = False) -> dict[str, Any]:
    """Translate a checked guard into durable-rules' condition JSON (negations pushed inwards)."""
    node = typed.node
    if typed.fact is not None:  # a bare bool fact
        return {_key(typed.fact.name): not negate}
    if isinstance(node, Not):
        return guard_to_durable(typed.children[0], not negate)
    if isinstance(node, BoolOp):
        op = {"and": "$and", "or": "$or"}[node.op]
        if negate:
            op = "$or" if op == "$and" else "$and"
        return {op: [guard_to_durable(c, negate) for c in typed.children]}
    if isinstance(node, Call):  # is_set(fact): facts arrive normalised, so unset text is ""
        name = _key(typed.children[0].fact.name)  # type: ignore[union-attr]
        return {name: ""} if negate else {"$neq": {name: ""}}
    assert isinstance(node, Compare)
    fact, value = typed.children[0].fact, typed.children[1].constant
    if node.op in ("in", "not in"):
        inside = (node.op == "in") != negate
        terms = [{_key(fact.name): v} if inside else {"$neq": {_key(fact.name): v}} for v in value]  # type: ignore[union-attr]
        return {"$or" if inside else "$and": terms}
    if negate and node.op == "!=":
        return {_key(fact.name): value}  # type: ignore[union-attr]
    operator = (_NEGATED if negate else _DIRECT)[node.op]
    return {operator: {_key(fact.name): value}} if operator else {_key(fact.name): value}  # type: ignore[union-attr]


class StatechartError(ConflictError):
    """durable-rules did not give a usable answer; the event is refused and nothing changes."""


class Statechart:
    """One lifecycle registered as a durable-rules ruleset on a host of its own version."""

    def __init__(self, lifecycle: Lifecycle, version: str, wait: float = 0.05) -> None:
        self.lifecycle = lifecycle
        self.name = f"lawful_{lifecycle.name}_{version.replace('.', '_')}_{next(_names)}"
        self.wait = wait
        self._lock = threading.Lock()
        self._host: durable.Host | None = None
        # Tests inject faults here: called as fault("action", rule) inside the rule's action (it may
        # raise) and as fault("read", state) on the state read back (it may return another).
        self.fault: Callable[[str, Any], Any] | None = None

    def _definition(self) -> dict[str, Any]:
        rules = {}
        for index, transition in enumerate(self.lifecycle.transitions):
            terms: list[dict[str, Any]] = [
                {"event": transition.spec.event},
                {"$or": [{"state": s} for s in sorted(transition.sources)]},
            ]
            if transition.guard is not None:
                terms.append(guard_to_durable(transition.guard))
            rules[f"t_{index}"] = {
                "all": [{"m": {"$and": terms}}],
                "pri": 1,
                "run": self._action(transition.id, transition.spec.to),
            }
        # Every event must be handled: deleting the session of an event no rule took crashes
        # durable-rules 2.0.28. So a last rule takes what no transition takes, and says so.
        rules["no_transition"] = {"all": [{"m": {"$ex": {"event": 1}}}], "pri": 1000, "run": self._action("", "")}
        return rules

    def _action(self, rule: str, to: str) -> Callable[[Any], None]:
        def run(c: Any) -> None:
            if self.fault is not None:
                self.fault("action", rule)
            c.s.rule = rule
            c.s.to = to

        return run

    @property
    def host(self) -> durable.Host:
        if self._host is None:
            self._host = durable.Host()
            self._host.register_rulesets({self.name: self._definition()})
        return self._host

    def close(self) -> None:
        """Stop the host's dispatch threads."""
        if self._host is not None:
            for timer in (getattr(self._host, "_d_timer", None), getattr(self._host, "_t_timer", None)):
                if timer is not None:
                    timer.cancel()

    def apply(self, state: str, event: str, facts: dict[str, Any], lang: str = "en") -> Outcome:
        """Apply one event in a short-lived session; refuse on any sign that the answer is not sound."""
        if state not in self.lifecycle.states:
            raise RequestError("lifecycle.unknown_state", f"{self.lifecycle.name}: unknown state {state!r}")
        if event not in self.lifecycle.events:
            raise RequestError(
                "lifecycle.unknown_event",
                f"{self.lifecycle.name}: unknown event {event!r}: expected one of {', '.join(self.lifecycle.events)}",
            )
        facts = normalise_facts(facts)
        sid = uuid.uuid4().hex
        message = {"sid": sid, "state": state, "event": event, **{_key(k): v for k, v in facts.items()}}
        with self._lock:
            result = self._post(sid, message)
        expected = self.lifecycle.answer(state, event, facts, lang)
        if result is None:
            if expected.allowed:
                raise StatechartError(
                    "lifecycle.no_result",
                    f"{self.lifecycle.name}: durable-rules gave no transition for '{event}' from '{state}', "
                    f"though rule {expected.rule} allows it; the event is refused and nothing changed",
                )
            return expected
        rule, to = result
        if not expected.allowed or (rule, to) != (expected.rule, expected.to):
            raise StatechartError(
                "lifecycle.mismatch",
                f"{self.lifecycle.name}: durable-rules answered {rule} -> {to}, the rule files say "
                f"{expected.rule} -> {expected.to}; the event is refused and nothing changed",
            )
        return expected

    def _post(self, sid: str, message: dict[str, Any]) -> tuple[str, str] | None:
        host = self.host
        try:
            host.post(self.name, message)
        except durable.MessageNotHandledException:
            # Cannot happen with the catch-all rule; its session is left alone (deleting it crashes).
            raise StatechartError(
                "lifecycle.not_handled",
                f"{self.lifecycle.name}: durable-rules did not take the event; "
                "the event is refused and nothing changed",
            ) from None
        except Exception as exc:
            self._delete(host, sid)
            raise StatechartError(
                "lifecycle.engine_error",
                f"{self.lifecycle.name}: durable-rules failed ({exc.__class__.__name__}: {exc}); "
                "the event is refused and nothing changed",
            ) from exc
        state = self._read(host, sid)
        self._delete(host, sid)
        if state is not None and state.get("exception"):
            raise StatechartError(
                "lifecycle.engine_error",
                f"{self.lifecycle.name}: the transition's action failed in durable-rules; "
                "the event is refused and nothing changed",
            )
        if state is None or "rule" not in state:
            raise StatechartError(
                "lifecycle.no_result",
                f"{self.lifecycle.name}: durable-rules wrote no answer for the event; "
                "the event is refused and nothing changed",
            )
        if state.get("sid") != sid:
            raise StatechartError(
                "lifecycle.wrong_session",
                f"{self.lifecycle.name}: durable-rules answered for another session; "
                "the event is refused and nothing changed",
            )
        return (str(state["rule"]), str(state["to"])) if state["rule"] else None

    def _delete(self, host: durable.Host, sid: str) -> None:
        with contextlib.suppress(Exception):  # a session without state has nothing to delete
            host.delete_state(self.name, sid)

    def _read(self, host: durable.Host, sid: str) -> dict[str, Any] | None:
        # The action may run on durable-rules' own thread; give it a moment, then give up.
        deadline = time.monotonic() + self.wait
        while True:
            try:
                state = host.get_state(self.name, sid)
            except Exception:
                state = None
            if self.fault is not None:
                state = self.fault("read", state)
            if state is not None and ("rule" in state or "exception" in state):
                return state  # type: ignore[no-any-return]
            if time.monotonic() >= deadline:
                return state  # type: ignore[no-any-return]
            time.sleep(0.001)
