"""The Managed Identity sign-in's failures, told without the identity service's answer.

mssql-python fetches the token through ``azure-identity`` (and ``msal``). When the
identity endpoint refuses, or answers with something that is not a token, their
exception texts and their log records quote that answer, and an endpoint (or a proxy
before it) may echo the request: its ``X-IDENTITY-HEADER`` secret, or a token sent in
a malformed answer. So the layer's error keeps only the credential library's
exception name, HTTP status and first clause (:func:`token_problem`), and the
libraries' log records are cut where the answer begins (:func:`quiet_answers`), the
driver's own too: mssql-python logs the credential's error text when a sign-in fails.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

ANSWER_NOT_SHOWN = ("the identity service's answer is not shown (it may quote the "
                    "request's secret header or a token)")
_LIBRARIES = ("azure", "msal")
# Where the credential's own words end and the answer (or a value read from it)
# begins, in an exception's text.
_ANSWER_BEGINS = re.compile(r"[:\n]|\.\s|Token request error")
# A quoted value in the credential's own words is the answer's too (an HTTP reason).
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# Where the answer begins in the libraries' log records: msal's error description,
# azure-core's "Content:" of a body that is not JSON, msal's "unexpected payload".
_ANSWER_IN_LOG = re.compile(r"Token request error|Content:|unexpected payload")
# The driver: its sign-in records quote the credential's error after ", error=", so
# they are cut there (or where an answer begins); the exceptions its other records
# carry (a failed close, a converter's error: nothing of a sign-in) are kept.
_DRIVER = "mssql_python"
_ANSWER_IN_DRIVER_LOG = re.compile(", error=|" + _ANSWER_IN_LOG.pattern)


def _chain(exc: BaseException) -> Iterable[BaseException]:
    """``exc`` and its causes (else contexts), innermost last, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def token_problem(exc: BaseException) -> str:
    """Why no Managed Identity token came (``exc``: the driver's error), without the
    identity service's answer."""
    found = next((e for e in _chain(exc)
                  if type(e).__module__.split(".")[0] in _LIBRARIES), None)
    if found is None:
        return ANSWER_NOT_SHOWN
    status = getattr(found, "status_code", None)
    message = str(getattr(found, "message", None) or found)
    lead = _QUOTED.sub("'...'", _ANSWER_BEGINS.split(message, maxsplit=1)[0].strip())
    said = type(found).__name__ + (f" (HTTP {status})" if isinstance(status, int) else "")
    lead = lead.rstrip(".")
    return f"{said}: {lead}; {ANSWER_NOT_SHOWN}" if lead else f"{said}; {ANSWER_NOT_SHOWN}"


def _without_answer(record: logging.LogRecord, *, driver: bool = False) -> logging.LogRecord:
    """``record`` cut where the service's answer begins, without the exception it
    carries (whose text holds the answer too), if it holds either. A ``driver``
    record keeps an exception whose text quotes no answer."""
    try:
        text = record.getMessage()
    except Exception:  # malformed arguments: the handler reports those, as it would
        return record
    answer = _ANSWER_IN_DRIVER_LOG if driver else _ANSWER_IN_LOG
    found = answer.search(text)
    exc = record.exc_info[1] if record.exc_info else None
    if driver and exc is not None and not answer.search(str(exc)):
        exc = None
    if found is None and exc is None:
        return record
    if found is not None:
        text = f"{text[:found.start()].rstrip()} ({ANSWER_NOT_SHOWN})"
    if exc is not None:
        text += f" [{type(exc).__name__}]"
    record.msg, record.args = text, None
    record.exc_info, record.exc_text = None, None
    return record


_lock = threading.Lock()
_installed = False


def quiet_answers() -> None:
    """Make every log record of the identity libraries without the service's answer.

    A logger's filter sees only the records of that logger, not its children's, and
    the libraries make their loggers as their modules load (some only when the token
    is fetched); so the records are cut where they are made, by the record factory,
    which keeps calling the one it found.
    """
    global _installed
    with _lock:
        if _installed:
            return
        made_by = logging.getLogRecordFactory()

        def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = made_by(*args, **kwargs)
            top = record.name.split(".")[0]
            if top in _LIBRARIES:
                return _without_answer(record)
            if top == _DRIVER:
                return _without_answer(record, driver=True)
            return record

        logging.setLogRecordFactory(make)
        _installed = True
