"""HTTP handlers: decode, call a service, encode. No rule logic lives here."""

from typing import Annotated

from litestar.params import Parameter

from ..storage import MAX_ROW_ID

# A numbered row (key, assessment, blocklist entry) in the path: an id no row can have is a 400,
# never sent to the database, whose INTEGER column would refuse it.
RowId = Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)]
