"""Values that leave the app in another format: one mail header line, one spreadsheet cell.

Both formats read some characters as structure: a line break in a header starts a new header (``Bcc:`` injected
through a company name), and a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(CSV injection). Every value from a person or a catalogue passes through here on its way out.
"""

from __future__ import annotations

import re
import unicodedata

# Control and format characters, plus the Unicode line and paragraph separators some mail clients break on.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_FORMULA_START = ("=", "+", "-", "@")
# One e-mail address pattern for what a person types (RFQ, callback) and what the outbox sends to.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}")


def one_line(value: object, limit: int = 998) -> str:
    """The value as one line without control characters (each becomes a space), for a mail header."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def csv_cell(value: object) -> str:
    """A spreadsheet cell that is shown, never run: no control characters, no leading formula character."""
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    return "'" + text if text.lstrip()[:1] in _FORMULA_START else text
