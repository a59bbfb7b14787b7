"""Keep phone and resident ID numbers out of every log line, the app's and Celery's.

Log lines leave the portal's protection: they are shipped, kept for months and read by
operators. A filter on every handler masks any 11-digit mainland mobile number
(``138****0001``) and any 18-character resident ID number (``4304**********123X``) in the
message, its arguments, the formatted exception and the stack, whoever logged it (our code,
Django, Celery, django-axes, a database error quoting a row). ``LOGGING`` in settings puts
it on its handlers; config/celery.py puts it on the handlers a worker sets up for itself.
"""

from __future__ import annotations

import logging
import re

# Not part of a longer digit run: an order number or a timestamp is left alone.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_personal_data(text: str) -> str:
    text = ID_NUMBER.sub(r"\1**********\2", text)
    return PHONE.sub(r"\1****\2", text)


class PersonalDataFilter(logging.Filter):
    """Rewrites the record in place with the numbers masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logged as it is
            message = str(record.msg)
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def add_filter_to_handlers(logger: logging.Logger) -> None:
    """Put the filter on every handler of ``logger`` that lacks it (Celery's own)."""
    for handler in logger.handlers:
        if not any(isinstance(existing, PersonalDataFilter) for existing in handler.filters):
            handler.addFilter(PersonalDataFilter())
