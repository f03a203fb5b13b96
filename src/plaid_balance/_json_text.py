"""JSON text from outside (an items file, an import file, a browser's post), decoded by one rule.

``json.loads`` accepts ``"\\ud800"``: an escape for half of a character (a lone surrogate). The string it
makes can never be written as UTF-8, so it would surface later, as a traceback, when a label or a name
is printed or stored. Such text is refused here, where it comes in, as invalid JSON (a
``json.JSONDecodeError`` naming the column, never quoting the line, which may hold a token).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

# Where a surrogate escape (paired or not) first appears: the column the error names.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads``, refusing lone surrogate escapes with ``json.JSONDecodeError``.

    Raises:
        json.JSONDecodeError: not JSON, or a lone surrogate escape.
        RecursionError: nested deeper than the decoder goes.
    """
    value = json.loads(text)
    doc = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
    if (escape := _SURROGATE_ESCAPE.search(doc)) is not None:  # else no string can hold one
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise json.JSONDecodeError("a \\u escape names half a character", doc, escape.start()) from None
    return value
