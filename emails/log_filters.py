"""Keep unsubscribe tokens out of the log.

Django logs the path of every 4xx answer ("Bad Request: /u/<token>/", "Method
Not Allowed (PUT): /u/<token>/"); a valid token there would let whoever reads
the log unsubscribe that client. The console handler runs this filter on every
record, the propagated ``django.request`` ones included.
"""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/u/[^/\s]+/")
REDACTED = "/u/<redacted>/"


def _redact(value: object) -> object:
    return _TOKEN_PATH.sub(REDACTED, value) if isinstance(value, str) else value


class UnsubscribeTokenFilter(logging.Filter):
    """Replace the token of any ``/u/<token>/`` path in a record; drop nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        return True
