"""Form page render time: the hosted page of the example forms, as the server renders them.

Run: .venv/bin/python bench/form_bench.py   (target in DESIGN.md: under 2 ms per page)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forms import load_form, parse_submission, render_form  # noqa: E402

TOKEN = "bench"  # a CSRF token value; nothing checks it here
FORMS = Path(__file__).resolve().parent.parent / "tests" / "forms" / "data" / "forms"


def median_ms(func, runs: int = 2000) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    print(f"Python {sys.version.split()[0]}; median of 2000 renders each")
    for path in sorted(FORMS.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        form = load_form(schema)
        render = median_ms(lambda form=form: render_form(form, lang="en", action="/f/x", csrf_token=TOKEN))
        errors = parse_submission(form, [], "en").errors
        with_errors = median_ms(
            lambda form=form, errors=errors: render_form(
                form, lang="nl", action="/f/x", csrf_token=TOKEN, values=[], errors=errors
            )
        )
        print(f"  {path.name[:-12]:<30} page {render:6.3f} ms   page with errors (nl) {with_errors:6.3f} ms")


if __name__ == "__main__":
    main()
