"""Reading and writing CSV tables safely: encodings, delimiters, atomic writes."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from geo.errors import InputError

#: Encodings tried in order: UTF-8 (with or without BOM), then Windows-1256 (Arabic-script Windows files).
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1256")


def decode_bytes(data: bytes, *, name: str = "input") -> tuple[str, str]:
    """Decode ``data`` as UTF-8 (BOM allowed) or Windows-1256; return (text, encoding).

    Raises
    ------
    InputError
        When the data is empty, binary (NUL bytes) or in neither encoding.
    """
    if not data.strip():
        raise InputError(f"{name} is empty")
    if b"\x00" in data[:4096]:
        raise InputError(f"{name} looks binary (NUL bytes), not a text table")
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name} is neither UTF-8 nor Windows-1256 text")


def read_csv_table(path: Path, *, data: bytes | None = None) -> pd.DataFrame:
    """Read a CSV as strings, every cell kept as written (no NaN guessing).

    The delimiter (comma, semicolon, tab, pipe) is sniffed from the first lines.

    Raises
    ------
    InputError
        Empty, binary, undecodable or malformed files, in one sentence naming the file.
    """
    name = str(path)
    if data is None:
        if not path.is_file():
            raise InputError(f"{name} does not exist or is not a file")
        data = path.read_bytes()
    text, encoding = decode_bytes(data, name=name)
    sample = text[:20_000]
    try:
        delimiter = (
            csv.Sniffer().sniff(sample.split("\n", 1)[0] if "\n" in sample else sample, delimiters=",;\t|").delimiter
        )
    except csv.Error:
        delimiter = ","
    # pyarrow's parser is ~7x faster than pandas' own on large files (1M rows); it reads UTF-8 bytes.
    raw = data.removeprefix(b"\xef\xbb\xbf") if encoding == "utf-8-sig" else text.encode("utf-8")
    try:
        frame = pd.read_csv(io.BytesIO(raw), sep=delimiter, dtype="string", keep_default_na=False, engine="pyarrow")
    except (pa.ArrowInvalid, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{name} is not a readable CSV: {_first_ragged_row(text, delimiter) or exc}") from None
    if frame.columns.empty:
        raise InputError(f"{name} has no header row")
    return frame


def _first_ragged_row(text: str, delimiter: str) -> str | None:
    """Describe the first data row whose field count differs from the header's (1-based data rows)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    for i, row in enumerate(reader, start=1):
        if row and len(row) != len(header):
            return f"row {i} has {len(row)} fields, the header has {len(header)}"
    return None


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV to ``path`` atomically (a temporary file, then rename).

    A reader never sees a half-written file, and a failure leaves any old file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
