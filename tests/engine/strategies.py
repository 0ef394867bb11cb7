"""Hypothesis strategies for valid decision requests against the shipped parameters."""

import datetime as dt

from hypothesis import strategies as st

from engine import (
    ConsentFacts,
    DecisionRequest,
    FieldFacts,
    ModuleFacts,
    RecordFacts,
    Settings,
)

MODULES = ["Leads", "Contacts", "Vendors", "Accounts", "Event_Registrations"]
BASES = [
    "not_applicable",
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]
STATUSES = ["not_requested", "waiting", "obtained", "denied", "no_response", "withdrawn"]
CHANNELS = ["export", "api", "suite_apps", "third_party_apps"]
CLASSES = ["none", "normal", "sensitive"]
TYPES = ["text", "email", "phone", "date", "lookup", "formula", "autonumber", "subform", "textarea"]
BASE_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

instants = st.integers(0, 600 * 24).map(lambda h: BASE_TIME + dt.timedelta(hours=h))
fields = st.builds(
    FieldFacts,
    name=st.sampled_from(["Email", "Phone", "City", "DOB", "Notes", "Sub.Street"]),
    type=st.sampled_from(TYPES),
    classification=st.sampled_from(CLASSES),
    encrypted=st.booleans(),
    subform=st.sampled_from([None, "Sub"]),
)
restrictions = st.none() | st.frozensets(
    st.sampled_from([f"{c}.{k}" for c in CHANNELS for k in ("normal", "sensitive")])
)


@st.composite
def requests(draw):
    at = draw(instants)
    deadline = draw(st.none() | st.integers(-90, 90).map(lambda d: at + dt.timedelta(days=d)))
    record = RecordFacts(
        basis=draw(st.sampled_from(BASES)),
        has_lia=draw(st.booleans()),
        restricted=draw(st.booleans()),
        awaiting_confirmation=draw(st.booleans()),
        consent=ConsentFacts(status=draw(st.sampled_from(STATUSES)), deadline=deadline),
    )
    name = draw(st.sampled_from(MODULES))
    module = ModuleFacts(
        name=name, custom=name == "Event_Registrations", fields=tuple(draw(st.lists(fields, max_size=35)))
    )
    settings = Settings(
        compliance_enabled=draw(st.booleans()),
        modules=frozenset(draw(st.sets(st.sampled_from(MODULES)))),
        withheld=draw(restrictions),
    )
    question = draw(st.sampled_from(["field_release", "processing", "field_marking"]))
    return DecisionRequest(
        question=question,
        at=at,
        module=module,
        settings=settings,
        record=record,
        channel=draw(st.sampled_from(CHANNELS)),
        fields=tuple(draw(st.lists(fields, min_size=1, max_size=5))),
        field=draw(fields),
        lang=draw(st.sampled_from(["en", "nl"])),
    )
