"""The yardstick for the HTTP benchmark: a trivial litestar JSON endpoint, decoded and encoded by msgspec."""

from __future__ import annotations

import msgspec
from litestar import Litestar, post
from litestar.params import JSONBody


class Echo(msgspec.Struct):
    question: str
    record_id: str | None = None


@post("/echo", status_code=200, sync_to_thread=False)
def echo(data: JSONBody[Echo]) -> dict[str, str]:
    return {"effect": "allow", "question": data.question}


app = Litestar([echo])
