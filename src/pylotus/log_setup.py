"""One logging set-up for every pylotus program.

Lines go to stderr (results go to stdout) as ``<UTC time> <LEVEL> <subsystem> <message>``, where
the subsystem is the logger name without the ``pylotus.`` prefix (``jsonrpc.server``), like
Lotus's go-log output.  The level comes from ``--log-level`` or ``PYLOTUS_LOG_LEVEL`` (Lotus has
``GOLOG_LOG_LEVEL``), default ``info``.  Chatty libraries are held at WARNING unless the level is
``debug``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Final

__all__ = ["LOG_LEVELS", "LOG_LEVEL_ENV", "setup_logging"]

LOG_LEVEL_ENV: Final = "PYLOTUS_LOG_LEVEL"
LOG_LEVELS: Final = ("debug", "info", "warn", "warning", "error")
_QUIET_LIBRARIES: Final = ("hypercorn", "httpx", "httpcore", "websockets", "trio")


class _Formatter(logging.Formatter):
    converter = staticmethod(time.gmtime)  # UTC, as the Z says

    def format(self, record: logging.LogRecord) -> str:
        subsystem = record.name.removeprefix("pylotus.")
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z"
        line = f"{stamp}\t{record.levelname}\t{subsystem}\t{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(level: str | None = None) -> None:
    """Configure the root logger once per process; later calls only change the level.

    Args:
        level: ``debug``, ``info``, ``warn``/``warning`` or ``error``; ``None`` reads
            ``PYLOTUS_LOG_LEVEL`` and falls back to ``info``.

    Raises:
        ValueError: an unknown level name (the CLI refuses it before calling).
    """
    name = (level or os.environ.get(LOG_LEVEL_ENV) or "info").lower()
    if name not in LOG_LEVELS:
        raise ValueError(f"unknown log level '{name}', want one of: debug, info, warn, error")
    numeric = logging.WARNING if name.startswith("warn") else getattr(logging, name.upper())
    root = logging.getLogger()
    if not any(getattr(h, "_pylotus", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Formatter())
        handler._pylotus = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(numeric)
    for lib in _QUIET_LIBRARIES:
        logging.getLogger(lib).setLevel(
            numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
        )
