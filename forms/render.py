"""Render a form as accessible HTML with jinja2: a whole page, or a snippet to embed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from msgspec import UNSET

from engine import Lang

from .loader import CSRF_FIELD, HONEYPOT
from .messages import PAGE, page_text
from .model import Field, Form, JsonValue
from .submission import FieldError, Node, build_tree, input_name

_ENV = Environment(
    loader=PackageLoader("forms", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_INPUT_TYPES = {"text": "text", "email": "email", "tel": "tel", "url": "url", "number": "number", "date": "date"}


@dataclass(frozen=True)
class Control:
    """What a template needs to show one input, group or list of item blocks."""

    kind: str
    id: str
    name: str
    label: str
    required: bool
    help: str | None = None
    error: str | None = None
    value: str = ""
    values: frozenset[str] = frozenset()
    options: tuple[tuple[str, str], ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[Control, ...] = ()
    input_type: str = "text"

    @property
    def checked(self) -> bool:
        return "true" in self.values

    @property
    def target(self) -> str:
        """Return the id an error summary link points at: the first box of a group of boxes."""
        return f"{self.id}-0" if self.kind == "checkboxes" else self.id

    @property
    def describedby(self) -> str:
        return " ".join(i for i, on in ((f"{self.id}-error", self.error), (f"{self.id}-help", self.help)) if on)


@dataclass
class _View:
    form: Form
    lang: Lang
    tree: dict[str, Node] | None
    errors: dict[str, FieldError]
    by_name: dict[str, Control] = field(default_factory=dict)

    def controls(
        self, fields: tuple[Field, ...], node: dict[str, Node], path: tuple[str | int, ...]
    ) -> tuple[Control, ...]:
        return tuple(self.control(f, node.get(f.name), (*path, f.name)) for f in fields)

    def control(self, f: Field, node: Node | None, path: tuple[str | int, ...]) -> Control:
        name = input_name(path)
        error = self.errors.get(name)
        label = f.consent.text.get(self.lang) if f.consent is not None and f.consent.text.en else f.label.get(self.lang)
        help_text = f.help.get(self.lang) if f.help is not None and f.help.get(self.lang) != label else None
        if f.widget == "lines":
            help_text = " ".join(t for t in (help_text, page_text("lines_help", self.lang)) if t)
        made = Control(
            kind=f.widget,
            id=_id(name),
            name=name,
            label=label,
            required=f.required,
            help=help_text,
            error=error.message if error else None,
            options=tuple((str(c.value), c.label.get(self.lang)) for c in f.choices),
            attrs=f.attrs,
            input_type=_INPUT_TYPES.get(f.widget, "text"),
            children=self._children(f, node, path),
            **self._value(f, node),
        )
        self.by_name[name] = made
        return made

    def _children(self, f: Field, node: Node | None, path: tuple[str | int, ...]) -> tuple[Control, ...]:
        branch = node if isinstance(node, dict) else {}
        if f.widget == "group":
            return self.controls(f.children, branch, path)
        if f.widget != "items":
            return ()
        count = max(f.min_items, 1, len([k for k in branch if k.isdigit()]))
        blocks = []
        for index in range(count):
            item_path = (*path, index)
            item = branch.get(str(index))
            label = page_text("item", self.lang, label=f.label.get(self.lang), number=index + 1)
            blocks.append(
                Control(
                    kind="group",
                    id=_id(input_name(item_path)),
                    name=input_name(item_path),
                    label=label,
                    required=False,
                    children=self.controls(f.children, item if isinstance(item, dict) else {}, item_path),
                )
            )
        return tuple(blocks)

    def _value(self, f: Field, node: Node | None) -> dict[str, Any]:
        if f.write_only or f.widget in ("group", "items"):
            return {}
        if self.tree is not None:
            given = node if isinstance(node, list) else []
            if f.widget in ("checkboxes", "select"):
                return {"values": frozenset(given), "value": given[-1] if given else ""}
            if f.widget == "checkbox":
                return {
                    "values": frozenset(
                        {"true"}
                        if given and given[-1].strip().lower() not in ("", "false", "off", "0", "no")
                        else set()
                    )
                }
            return {"value": "\n".join(given) if f.widget == "lines" else (given[-1] if given else "")}
        # Not yet submitted: show the schema's defaults, except that consent is never pre-ticked (P3).
        if f.default is UNSET or f.consent is not None:
            return {}
        return _shown(f, f.default)


def _shown(f: Field, default: JsonValue) -> dict[str, Any]:
    if f.widget == "checkbox":
        return {"values": frozenset({"true"} if default is True else set())}
    if isinstance(default, list):
        texts = [str(v) for v in default]
        return {"values": frozenset(texts), "value": "\n".join(texts)}
    return {"values": frozenset({str(default)}), "value": "" if default is None else str(default)}


def _id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def render_form(
    form: Form,
    *,
    lang: Lang = "en",
    action: str,
    csrf_token: str,
    values: Iterable[tuple[str, str]] | None = None,
    errors: Iterable[FieldError] = (),
    embed: bool = False,
) -> str:
    """Render a form, empty or filled in again with a submission's values and errors.

    Args:
        form: the form to show.
        lang: en or nl.
        action: the URL the form posts to.
        csrf_token: the value of the hidden CSRF field (named `_csrf_token`).
        values: the (name, value) pairs submitted, to show again; None shows the defaults.
        errors: the submission's errors, shown in a summary at the top and next to each input.
        embed: True gives the form alone, to put in another page; False a whole page (also for iframes).

    Returns:
        HTML, with every text escaped.
    """
    shown = tuple(errors)
    view = _View(form, lang, build_tree(values) if values is not None else None, {e.input: e for e in shown})
    controls = view.controls(form.fields, view.tree or {}, ())
    summary = [(f"#{view.by_name[e.input].target}" if e.input in view.by_name else "", e.message) for e in shown]
    template = _ENV.get_template("form.html" if embed else "page.html")
    return template.render(
        form=form,
        lang=lang,
        action=action,
        csrf_token=csrf_token,
        controls=controls,
        summary=summary,
        title=form.title.get(lang),
        help=form.help.get(lang) if form.help else "",
        t=_texts(lang),
        csrf_field=CSRF_FIELD,
        honeypot=HONEYPOT,
    )


def render_thank_you(form: Form, *, lang: Lang = "en", embed: bool = False) -> str:
    """Render the text shown after a successful submission."""
    template = _ENV.get_template("thanks.html")
    return template.render(lang=lang, title=form.title.get(lang), text=form.thank_you.get(lang), embed=embed)


def _texts(lang: Lang) -> dict[str, str]:
    return {key: value[1 if lang == "nl" else 0] for key, value in PAGE.items()}
