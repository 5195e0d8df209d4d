"""A refused request is logged as one line. Django logs a `PermissionDenied` raised by a view (the web
permission decorators refuse that way) at WARNING on django.request with the exception's traceback: some
sixty lines, over two hundred with the console renderer's locals, for an answer that is the system working
as meant. The line stays ("Forbidden (Permission denied): /path"), the traceback goes; the refusal itself is
in the audit log (`audit_access_denied`)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class RefusalTracebackFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
