"""Logging setup: tokens never reach the logs."""

from __future__ import annotations

import copy
import logging
import re

_SECRET = re.compile(r"((?:token|access_token|refresh_token)=)[^&\s\"']+", re.IGNORECASE)


class RedactTokens(logging.Filter):
    """Blank out `token=...` query values (uvicorn logs websocket paths with their query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token" in message.lower():
            record.msg, record.args = _SECRET.sub(r"\1[redacted]", message), ()
        return True


def uvicorn_log_config() -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": "app.lib.logs.RedactTokens"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    config["loggers"]["toonify"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    from .settings import get_settings

    if get_settings().log_json:
        for handler in config["formatters"].values():
            handler.clear()
            handler["()"] = "app.lib.logs.JsonFormatter"
    return config


# -- structured logs ------------------------------------------------------------------------
# Context carried by every log line of the current request or job: set by the request
# middleware (request id), the user dependency (user id) and the worker (job id).
import contextvars  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("user_id", default=None)
job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request, user and job the line belongs to."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for var in (request_id, user_id, job_id):
            value = var.get()
            if value is not None:
                line[var.name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging() -> None:
    """Plain text by default; JSON lines with TOONIFY_LOG_JSON=1 (either way, tokens redacted)."""
    from .settings import get_settings

    handler = logging.StreamHandler()
    if get_settings().log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("piccolo").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
