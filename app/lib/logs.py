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
    return config
