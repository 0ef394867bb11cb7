"""lawful's web forms: JSON Schema in, accessible HTML out, submissions read and validated, forms checked.

Pipeline: `load_form(schema) -> Form`, `render_form(form, ...) -> str`,
`parse_submission(form, pairs, lang) -> Submission`, `to_records(form, data)`, and before
publishing `check_form(form, ruleset, module, ...) -> FormReport` (the engine's form_check).
No HTTP, storage or email here: the service wires these in.
"""

from .check import FormProblem, FormReport, check_form, form_facts
from .formats import format_checker, is_email
from .loader import CSRF_FIELD, HONEYPOT, load_form
from .model import Choice, Condition, Consent, Field, Form, FormError, JsonValue, Layout, Text
from .records import stored_value_error, to_records
from .render import render_form, render_thank_you
from .submission import ConsentGiven, FieldError, Submission
from .validation import parse_submission

__all__ = [
    "CSRF_FIELD",
    "HONEYPOT",
    "Choice",
    "Condition",
    "Consent",
    "ConsentGiven",
    "Field",
    "FieldError",
    "Form",
    "FormError",
    "FormProblem",
    "FormReport",
    "JsonValue",
    "Layout",
    "Submission",
    "Text",
    "check_form",
    "form_facts",
    "format_checker",
    "is_email",
    "load_form",
    "parse_submission",
    "render_form",
    "render_thank_you",
    "stored_value_error",
    "to_records",
]
