"""Exception types. Each message names the field, what was expected and what arrived."""

from __future__ import annotations

import logging
import re
import uuid


class AfgMapError(Exception):
    """Base class of every error this library raises on purpose."""


class BoundariesNotFoundError(AfgMapError, FileNotFoundError):
    """The boundary files are in none of the places we look."""


class DownloadError(AfgMapError):
    """Fetching or verifying the official boundary files failed."""


class InputError(AfgMapError, ValueError):
    """An input file or value cannot be used.

    Parameters
    ----------
    message : str
        What is wrong.
    row : int, optional
        1-based data row (the header is row 0), when the problem is in one row.
    field : str, optional
        The column concerned.
    source : str, optional
        The file (or upload) concerned, named first.

    Examples
    --------
    >>> str(InputError("expected a date, got 'soon'", row=2, field="event_date", source="a.csv"))
    "a.csv: row 2, field 'event_date': expected a date, got 'soon'"
    """

    def __init__(self, message: str, *, row: int | None = None, field: str | None = None, source: str | None = None):
        self.message = message
        self.row = row
        self.field = field
        self.source = source
        where = []
        if row is not None:
            where.append(f"row {row:,}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__((f"{source}: " if source else "") + prefix + message)

    def in_file(self, source: str) -> InputError:
        """The same error (same type, row and field) naming the file ``source``."""
        return type(self)(self.message, row=self.row, field=self.field, source=source)


class SchemaError(InputError):
    """A frame does not follow the event schema."""


class FilterError(AfgMapError, ValueError):
    """A filter value (group, date, province...) is not valid."""


class AssetsMissingError(AfgMapError, FileNotFoundError):
    """A JS/CSS file the maps need is not in ``static/vendor/`` (run ``python -m geo fetch-assets``)."""


#: Longest message shown to a user in one line (the rest is cut with an ellipsis).
MAX_MESSAGE_CHARS = 500

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
# A path with at least one folder: ``/srv/app/data/x.csv`` or ``C:\\data\\x.csv``; the folders are dropped.
_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:\\|/)(?:[^\s/\\'\":,;()]+[/\\])+(?=[^\s/\\'\":,;()]*)")

LOG = logging.getLogger("geo")


def one_line(text: object, *, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line: control characters and line breaks become spaces, the rest is cut at ``limit``.

    Examples
    --------
    >>> one_line("row 2:\\n  bad\\r\\x00value")
    'row 2: bad value'
    >>> one_line("x" * 20, limit=10)
    'xxxxxxxxx…'
    """
    flat = _SPACES.sub(" ", _CONTROL.sub(" ", str(text))).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def redact_paths(text: str) -> str:
    """Drop the folders of absolute paths in ``text`` (a page must not show where the server keeps its files).

    Examples
    --------
    >>> redact_paths("/srv/app/data/events/bad.csv: row 2, field 'event_date': missing")
    "bad.csv: row 2, field 'event_date': missing"
    """
    return _PATH.sub("", text)


def report_failure(exc: BaseException, *, what: str, logger: logging.Logger = LOG) -> str:
    """Log ``exc`` server-side (with its traceback) and return one short line a user may see.

    An error this library raises on purpose (:class:`AfgMapError`: bad input,
    missing files) is shown as its own message; anything else is a bug and is
    shown only as a reference to the log entry. Folders of server paths are
    never shown. Nothing here draws anything: the caller (a page) shows the line.

    Parameters
    ----------
    exc : BaseException
        What was raised.
    what : str
        What was being done, for the log (``"reading upload 'x.csv'"``).

    Examples
    --------
    >>> report_failure(InputError("missing", row=2, field="event_date"), what="test")
    "row 2, field 'event_date': missing"
    >>> report_failure(KeyError("x"), what="test").startswith("Unexpected error (reference ")
    True
    """
    if isinstance(exc, AfgMapError):  # bad input: its message says it all
        logger.warning("%s failed: %s", what, one_line(exc))
        return one_line(redact_paths(str(exc)))
    if isinstance(exc, (OSError, UnicodeError)):  # the server's files: worth a traceback
        logger.warning("%s failed: %s", what, one_line(exc), exc_info=exc)
        return one_line(redact_paths(str(exc)))
    reference = uuid.uuid4().hex[:8]
    logger.error("%s failed (reference %s)", what, reference, exc_info=exc)
    return f"Unexpected error (reference {reference}); the details are in the server log."


class StoreError(AfgMapError):
    """The event database cannot be opened, created or written."""


class EventNotFoundError(StoreError, KeyError):
    """No event with this ``event_id`` in the database."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StaleEditError(StoreError):
    """An edit was made on an older version of an event than the one stored: refused, never merged silently."""


class AuthError(AfgMapError):
    """A login failed, is locked out, or a write was attempted without an editor."""
