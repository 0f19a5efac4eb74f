"""Structured logs: one JSON object per line with the request id, or plain text for people.

Every process (serve and its uvicorn worker processes, worker, scheduler, CLI) installs the same
dictConfig from `log_config()`: uvicorn gets it as `log_config`, so the worker processes it spawns
configure themselves identically before they load the app. Signed tokens (check-in codes, cards,
redemption codes, calendar-feed links) are capabilities: `redact` cuts them from every line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import sys
import time
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

CUT = "[cut]"
# Kiosk (`i.`/`o.`), card (`v.`) and redemption (`r.`) tokens: `<letter>.<digits>.<digits>.[<nonce>.]<signature>`.
_SIGNED_TOKEN = re.compile(r"\b[iovr]\.\d+\.\d+\.(?:[A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]{16,}")
# Path segments that are the key themselves: the scan page and the personal calendar feed.
_TOKEN_PATH = re.compile(r"(/c/|/calendar/volunteer/)(?!\{)[^\s/?#&\"'<>]+")
_TOKEN_QUERY = re.compile(r"(\b(?:code|token|card|feed|volunteer_card)=)[^\s&#\"'<>]+", re.IGNORECASE)
# Extra record fields copied into the JSON line (the access line's, see middleware.py).
EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "client")


def redact(text: str) -> str:
    """The text with every token-shaped value and token path segment replaced by `[cut]`."""
    text = _TOKEN_PATH.sub(lambda m: m.group(1) + CUT, text)
    text = _TOKEN_QUERY.sub(lambda m: m.group(1) + CUT, text)
    return _SIGNED_TOKEN.sub(CUT, text)


class JsonFormatter(logging.Formatter):
    """Render a record as JSON with time, level, logger, message, request id and exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            data["request_id"] = request_id
        for key in EXTRA_FIELDS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            data["exc"] = redact(record.exc_text)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        request_id = request_id_var.get()
        return f"{text} [req {request_id}]" if request_id else text


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes: in a Dramatiq worker process that is the pipe
    to the main process, which writes the lines of all its worker processes one at a time."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass


def log_config(*, json_logs: bool, level: str = "INFO") -> dict[str, Any]:
    """The logging dictConfig of every process: one stderr handler on the root logger; uvicorn's and
    dramatiq's loggers pass through it; uvicorn's access log is off (middleware.py writes our own)."""
    formatter = "json" if json_logs else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"()": f"{__name__}.TextFormatter"},
        },
        "handlers": {"stderr": {"class": f"{__name__}.StderrHandler", "formatter": formatter}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
            "dramatiq": {"handlers": [], "propagate": True},
        },
    }


def configure_logging(*, json_logs: bool, level: str = "INFO") -> None:
    """Install `log_config` in this process and send uncaught exceptions through it too."""
    logging.config.dictConfig(log_config(json_logs=json_logs, level=level))
    logging.captureWarnings(True)  # library warnings become log lines too, not bare text on stderr

    def log_uncaught(kind, value, traceback) -> None:  # noqa: ANN001
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, traceback)
            return
        logging.getLogger("servicebank").critical("uncaught exception", exc_info=(kind, value, traceback))

    sys.excepthook = log_uncaught
