"""The one progress callback the library calls, and which the CLI draws.

``progress(what, done=None, total=None)``: *what* the run is doing now, and,
when the work is counted, how much of *total* is *done* (the terminal then
shows a bar with an ETA; otherwise a spinner).  None means nobody watches.
"""
from __future__ import annotations

from typing import Callable, Optional

Progress = Optional[Callable[..., None]]  # (what: str, done: int | None = None, total: int | None = None)

# what the top-N product reports, a block of names at a time (locally or on Spark)
PRODUCT_STEP = "matching name blocks"
