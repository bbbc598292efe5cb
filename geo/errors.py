"""Exception types. Each message names the field, what was expected and what arrived."""

from __future__ import annotations


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
    """

    def __init__(self, message: str, *, row: int | None = None, field: str | None = None):
        self.row = row
        self.field = field
        where = []
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class SchemaError(InputError):
    """A frame does not follow the event schema."""


class FilterError(AfgMapError, ValueError):
    """A filter value (group, date, province...) is not valid."""


class AssetsMissingError(AfgMapError, FileNotFoundError):
    """A JS/CSS file the maps need is not in ``static/vendor/`` (run ``python -m geo fetch-assets``)."""
