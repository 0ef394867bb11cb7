"""A fake browser: read a rendered form's controls and submit them as a browser would (no JavaScript)."""

from __future__ import annotations

from html.parser import HTMLParser


class FormPage(HTMLParser):
    """Collects inputs, selects, textareas, labels and elements by id from rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self.ids: dict[str, dict[str, str]] = {}
        self.links: list[str] = []
        self._select: dict[str, str] | None = None
        self._textarea: dict[str, str] | None = None
        self._label: str | None = None
        self._option: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        a["_tag"] = tag
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "input":
            self.controls.append(a)
        elif tag == "select":
            self._select = a | {"value": ""}
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a
            if "selected" in a:
                self._select["value"] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a | {"value": ""}
            self.controls.append(self._textarea)
        elif tag == "label":
            self._label = a.get("for", "")
            self.labels[self._label] = ""
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data
        if self._label is not None:
            self.labels[self._label] += data

    def submit(self) -> list[tuple[str, str]]:
        """Return the (name, value) pairs a browser sends for the form as shown."""
        pairs = []
        for c in self.controls:
            kind = c.get("type", c["_tag"])
            if "name" not in c or (kind == "checkbox" and "checked" not in c):
                continue
            value = c.get("value", "")
            if c["_tag"] == "textarea" and value.startswith("\n"):
                value = value[1:]  # HTML drops one newline right after <textarea>
            pairs.append((c["name"], value))
        return pairs
