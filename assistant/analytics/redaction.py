"""The one redaction of personal data: every analytics write goes through ``redact`` before it is stored.

E-mail addresses and phone numbers are replaced by marks; article numbers, order numbers, dates, temperatures and
pressures survive, because the content team needs them to understand a question.
"""

from __future__ import annotations

import re

MAX_QUESTION_CHARS = 500
MAX_COMMENT_CHARS = 1000

EMAIL_MARK = "[E-Mail]"
PHONE_MARK = "[Telefon]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|\s?\(at\)\s?|\s?\[at\]\s?)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A phone number starts with +, 00 or 0 (area code) and has 7 to 15 digits in groups; article numbers (3S-1208),
# order numbers (4711), temperatures and pressures do not start that way or have fewer digits.
_PHONE = re.compile(r"(?<![\w.,/-])(?:\+\s?\d{1,3}|00\d{1,3}|\(?0\d{1,5}\)?)(?:[ ./-]?\(?\d{1,8}\)?){1,6}(?![\w-])")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})")


def redact(text: str) -> str:
    """Replace e-mail addresses and phone numbers; keep everything else the content team needs."""
    out = _EMAIL.sub(EMAIL_MARK, text or "")

    def phone(m: re.Match[str]) -> str:
        candidate = m.group(0)
        digits = sum(c.isdigit() for c in candidate)
        if not 7 <= digits <= 15 or _DATE.fullmatch(candidate.strip()):
            return candidate
        return PHONE_MARK

    return _PHONE.sub(phone, out)
