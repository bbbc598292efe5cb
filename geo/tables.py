"""Reading and writing input and output files safely: encodings, delimiters, limits, JSON, atomic writes.

Reading never trusts the file: text is decoded as UTF-8 or Windows-1256 (line by
line when a file mixes the two), the header may have at most
:data:`MAX_COLUMNS` columns, a cell of any size is read (the callers decide
what is too long, see :func:`oversized_cells`), JSON may nest at most
:data:`MAX_JSON_DEPTH` levels. Every refusal is an :class:`geo.errors.InputError`
naming the file (and the row or line when there is one).

Writing goes through one path, :func:`write_files_atomic`: every file of a
batch (events + rejects, events + aggregates...) is written completely to a
temporary file beside its target before any target is replaced, so an error,
a full disk or Ctrl-C / SIGTERM leaves all the old files as they were and
removes the temporary files; the renames then follow one another with nothing
in between (only a hard kill or power loss inside that window can leave the
files out of step). Two outputs naming one file (also through another path, a
symbolic or a hard link) are refused; a replaced file keeps its mode; temporary
files left by a writer that was killed are removed by the next write.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from geo.errors import InputError

#: Encodings read: UTF-8 (with or without BOM), then Windows-1256 (Arabic-script Windows files).
#: A file that mixes them is decoded line by line (see :func:`decode_bytes`).
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1256")

#: Delimiters recognised in a CSV header, in order of preference on a tie.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")

#: Most columns a table may have (ACLED exports have 31, UCDP GED 49); more is not an event table.
MAX_COLUMNS = 1_000

#: Longest text cell (characters) an event may carry; longer cells make the row a reject (ingest)
#: or the file an error (event files, geocoder input). A report's notes are a few thousand characters.
MAX_CELL_CHARS = 100_000

#: Deepest JSON nesting read (a GeoJSON MultiPolygon needs 7 levels).
MAX_JSON_DEPTH = 64

#: Characters that make the CSV writer quote every text cell of a file: line breaks other than ``\n``
#: (which the writer quotes itself) that some readers split rows at.
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_NEEDS_QUOTES = re.compile(f"[{_LINE_BREAKS}]")
# In the header also the other delimiters, so a reader that sniffs the header line cannot be misled.
_HEADER_NEEDS_QUOTES = re.compile(f"[{_LINE_BREAKS};\t|]")

_QUOTED = re.compile(r'"(?:[^"]|"")*"?')

#: JSON escapes that decode to characters no text file can hold (NUL, unpaired surrogates), and those characters.
BAD_JSON_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
BAD_TEXT_CHARS = re.compile("[\x00\ud800-\udfff]")
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_JSON_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')  # every byte but these is dropped
_JSON_STRING = re.compile(rb'"[^"]*"?')
_TEMP_SUFFIX = ".tmp"


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


def decode_bytes(data: bytes, *, name: str = "input") -> tuple[str, str]:
    """Decode ``data`` as UTF-8 (BOM allowed), Windows-1256, or both line by line; return (text, encoding).

    A file whose every line is UTF-8 is ``"utf-8-sig"``; one with no valid UTF-8
    line beyond ASCII is ``"cp1256"``; a file mixing UTF-8 and Windows-1256 lines
    (two exports pasted together) is decoded per line and reported as
    ``"utf-8+cp1256"``, so Dari text in either encoding reads correctly.

    Raises
    ------
    InputError
        When the data is empty or binary (a NUL byte; named by its line).

    Examples
    --------
    >>> text, enc = decode_bytes("ولسوالی\\n".encode() + "خنج\\n".encode("cp1256"))
    >>> text.split(), enc
    (['ولسوالی', 'خنج'], 'utf-8+cp1256')
    """
    if not data.strip():
        raise InputError(f"{name} is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"{name} looks binary (NUL bytes, first on line {line:,}), not a text table")
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    utf8_beyond_ascii = False
    for line in data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True):
        try:
            part = line.decode("utf-8")
            utf8_beyond_ascii = utf8_beyond_ascii or not line.isascii()
        except UnicodeDecodeError:
            part = line.decode("cp1256", errors="replace")  # every byte is defined in cp1256
        parts.append(part)
    return "".join(parts), ("utf-8+cp1256" if utf8_beyond_ascii else "cp1256")


def _first_line(text: str) -> str:
    end = len(text)
    for sep in ("\n", "\r"):
        at = text.find(sep, 0, end)
        if at >= 0:
            end = at
    return text[:end]


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: the most frequent of :data:`DELIMITERS` outside quotes.

    Linear in the line's length (the standard library's sniffer is quadratic on hostile lines).

    Examples
    --------
    >>> sniff_delimiter("a;b;c"), sniff_delimiter('"x,y";b;c'), sniff_delimiter("only")
    (';', ';', ',')
    """
    bare = _QUOTED.sub("", header)
    counts = [bare.count(d) for d in DELIMITERS]
    best = max(counts)
    return DELIMITERS[counts.index(best)] if best else ","


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------


def _header_fields(text: str, delimiter: str, name: str) -> list[str]:
    """The header's fields, refusing headers wider than :data:`MAX_COLUMNS` before parsing the file."""
    line = _first_line(text.lstrip("\r\n"))
    bare = _QUOTED.sub("", line)
    n = bare.count(delimiter) + 1
    if n > MAX_COLUMNS:
        raise InputError(
            f"{name}: the header (row 0) has {n:,} columns, more than the {MAX_COLUMNS:,} this reader accepts; "
            "expected an event table (ACLED exports have 31 columns)"
        )
    try:
        return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    except csv.Error as exc:
        raise InputError(f"{name}: the header (row 0) is not a CSV row: {exc}") from None


def read_csv_table(path: Path, *, data: bytes | None = None) -> pd.DataFrame:
    """Read a CSV as strings, every cell kept as written (no NaN guessing).

    The delimiter (comma, semicolon, tab, pipe) is recognised from the header
    line; quoted cells may hold delimiters, quotes and line breaks and be of any
    length. Repeated column names get ``.1``, ``.2``..., empty ones
    ``Unnamed: i`` (as pandas names them).

    Raises
    ------
    InputError
        Empty, binary, malformed or too wide files, in one sentence naming the file
        (and the first ragged row).

    Examples
    --------
    >>> read_csv_table(Path("x.csv"), data=b'a;b\\n007;"two\\nlines"\\n').to_dict("list")
    {'a': ['007'], 'b': ['two\\nlines']}
    """
    name = str(path)
    if data is None:
        if not path.is_file():
            raise InputError(f"{name} does not exist or is not a file")
        data = path.read_bytes()
    text, encoding = decode_bytes(data, name=name)
    delimiter = sniff_delimiter(_first_line(text.lstrip("\ufeff\r\n"))[:65_536])
    header = _header_fields(text.lstrip("\ufeff"), delimiter, name)
    if not header:
        raise InputError(f"{name} has no header row")
    # pyarrow's parser is ~7x faster than the csv module on large files (1M rows); it reads UTF-8 bytes.
    raw = data.removeprefix(b"\xef\xbb\xbf") if encoding == "utf-8-sig" else text.encode("utf-8")
    table = _parse_csv(raw, delimiter, name=name)
    if table.num_columns > MAX_COLUMNS:
        raise InputError(f"{name}: {table.num_columns:,} columns, more than the {MAX_COLUMNS:,} this reader accepts")
    if table.num_rows == 0:
        raise InputError(f"{name} has no header row")
    names = _column_names([table.column(i)[0].as_py() for i in range(table.num_columns)])
    body = table.slice(1)
    return pd.DataFrame(
        {n: body.column(i).to_pandas(types_mapper=_STRING_TYPES.get) for i, n in enumerate(names)},
        index=pd.RangeIndex(body.num_rows),
    )


_STRING_TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def _all_strings() -> pacsv.ConvertOptions:
    # Every column (pyarrow names them f0, f1...) as text: no type guessing, "007" stays "007", "" stays "".
    return pacsv.ConvertOptions(
        column_types=_STRING_COLUMNS, strings_can_be_null=False, quoted_strings_can_be_null=False
    )


_STRING_COLUMNS = {f"f{i}": pa.string() for i in range(MAX_COLUMNS + 1)}


def _parse_csv(raw: bytes, delimiter: str, *, name: str) -> pa.Table:
    """Parse ``raw`` with pyarrow, every column a string; the header is row 0 of the result."""
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = _all_strings()
    block = 1 << 22
    while True:
        try:
            return pacsv.read_csv(
                io.BytesIO(raw),
                read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=block),
                parse_options=parse,
                convert_options=convert,
            )
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "straddling" in message and block < len(raw):  # a cell longer than a block: read in one block
                block = min(len(raw) + 1, (1 << 31) - 1)
                continue
            where = _first_ragged_row(raw, delimiter)
            raise InputError(f"{name} is not a readable CSV: {where or _short(message)}") from None


def _short(message: str) -> str:
    return " ".join(message.split())[:200]


def _first_ragged_row(raw: bytes, delimiter: str) -> str | None:
    """Describe the first data row whose field count differs from the header's (1-based data rows)."""
    found = []

    def note(row) -> str:
        if not found:
            found.append(row)
        return "skip"

    with contextlib.suppress(pa.ArrowInvalid):
        pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(
                autogenerate_column_names=True, use_threads=False, block_size=min(len(raw) + 1, (1 << 31) - 1)
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=note),
            convert_options=_all_strings(),
        )
    if not found:
        return None
    bad = found[0]
    row = f"row {bad.number - 1:,}" if bad.number else "a row"  # pyarrow counts the header as row 1
    return f"{row} has {bad.actual_columns:,} fields, the header has {bad.expected_columns:,}"


def _column_names(header: list[str | None]) -> list[str]:
    """Header names as pandas makes them: empty → ``Unnamed: i``, repeats → ``name.1``, ``name.2``..."""
    out: list[str] = []
    used: set[str] = set()
    for i, h in enumerate(header):
        base = h if h else f"Unnamed: {i}"
        col, k = base, 0
        while col in used:
            k += 1
            col = f"{base}.{k}"
        used.add(col)
        out.append(col)
    return out


def oversized_cells(frame: pd.DataFrame, *, limit: int = MAX_CELL_CHARS, what: str = "a cell") -> np.ndarray:
    """Per row, a reason naming each text cell longer than ``limit`` characters (``""`` when none).

    Examples
    --------
    >>> oversized_cells(pd.DataFrame({"notes": ["ok", "x" * 12]}), limit=10).tolist()
    ['', 'notes: 12 characters, more than the 10 a cell may hold']
    """
    reasons = np.full(len(frame), "", dtype=object)
    for col in frame.columns:
        series = frame[col]
        if not (pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)):
            continue
        lengths = series.astype("string").str.len().fillna(0).to_numpy()
        for i in np.flatnonzero(lengths > limit):
            why = f"{col}: {int(lengths[i]):,} characters, more than the {limit:,} {what} may hold"
            reasons[i] = why if not reasons[i] else reasons[i] + "; " + why
    return reasons


def check_cell_sizes(
    frame: pd.DataFrame, *, name: str | None = None, limit: int = MAX_CELL_CHARS, what: str = "a cell"
) -> None:
    """Refuse a table with a text cell longer than ``limit`` characters, naming the first one's row and field.

    Raises
    ------
    InputError
        ``"{name}: row R, field 'F': N characters, more than the L a cell may hold"``.

    Examples
    --------
    >>> check_cell_sizes(pd.DataFrame({"notes": ["ok", "x" * 12]}), name="a.csv", limit=10)
    Traceback (most recent call last):
    ...
    geo.errors.InputError: a.csv: row 2, field 'notes': 12 characters, more than the 10 a cell may hold
    """
    for col in frame.columns:
        series = frame[col]
        if not (pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)):
            continue
        lengths = series.astype("string").str.len().fillna(0).to_numpy()
        big = np.flatnonzero(lengths > limit)
        if big.size:
            i = int(big[0])
            raise InputError(
                f"{int(lengths[i]):,} characters, more than the {limit:,} {what} may hold",
                row=i + 1,
                field=str(col),
                source=name,
            )


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------


def json_depth(data: bytes) -> int:
    """How deep the arrays and objects of JSON ``data`` nest (strings ignored), in linear time.

    Works on the bytes (UTF-8 or Windows-1256: the structural characters are ASCII in both).

    Examples
    --------
    >>> json_depth(b'{"a": [[1], "[[[\\\\"]"]}')
    3
    """
    # Escapes only occur inside strings: drop them (\\" included), keep quotes and brackets, drop strings.
    bare = _JSON_ESCAPE.sub(b"", data) if b"\\" in data else data
    codes = np.frombuffer(_JSON_STRING.sub(b"", bare.translate(None, _JSON_STRUCTURE)), dtype=np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    closes = (codes == ord("]")) | (codes == ord("}"))
    return int(np.cumsum(opens.astype(np.int32) - closes).max(initial=0))


def load_json(data: bytes, *, name: str) -> object:
    """Parse JSON bytes (UTF-8 or Windows-1256) safely.

    Raises
    ------
    InputError
        Not JSON (naming line and column), nested deeper than :data:`MAX_JSON_DEPTH`,
        or a number too long to read, in one line naming the file.
    """
    text, _ = decode_bytes(data, name=name)
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise InputError(
            f"{name}: JSON nested {depth:,} levels deep, more than the {MAX_JSON_DEPTH} this reader accepts "
            "(a GeoJSON FeatureCollection needs at most 7)"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # an integer beyond Python's limit of digits (4300 by default)
        if "digits" in str(exc):
            raise InputError(f"{name}: a number with more digits than can be read (over 4,300)") from None
        raise InputError(f"{name}: not valid JSON ({_short(str(exc))})") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply to read") from None


def json_value(value: object, *, empty_as_none: bool = False) -> object:
    """One cell as JSON keeps it: dates as ``YYYY-MM-DD``, missing values as None, numpy scalars as Python ones.

    The one conversion behind the GeoJSON export's properties and the event store's history
    (``{field: [previous, new]}``) and comparisons. A date-time keeps its date only (event dates are days).

    Parameters
    ----------
    value : object
        A cell of an event frame or a database row.
    empty_as_none : bool
        Also ``""`` becomes None (the export writes an empty text as ``null``; the store keeps ``""``).

    Examples
    --------
    >>> import datetime as dt
    >>> json_value(pd.Timestamp("2024-03-01 10:30")), json_value(dt.date(987, 1, 2)), json_value(np.int64(3))
    ('2024-03-01', '0987-01-02', 3)
    >>> json_value(np.float32("nan")), json_value(pd.NA), json_value(np.datetime64("NaT")), json_value(np.datetime64("2024-05-06"))
    (None, None, None, '2024-05-06')
    >>> json_value(""), json_value("", empty_as_none=True)
    ('', None)
    """
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)  # .item() would give nanoseconds as an int
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):  # pd.Timestamp too
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if empty_as_none and isinstance(value, str) and value == "":
        return None
    return value


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _text_columns(frame: pd.DataFrame) -> Iterable[pd.Series]:
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
            yield series


def needs_full_quoting(frame: pd.DataFrame) -> bool:
    """True when a cell holds a line break the csv module would not quote (``\\r``, U+2028...) or a header
    name holds another delimiter: then :func:`write_csv` quotes every text cell.

    Examples
    --------
    >>> needs_full_quoting(pd.DataFrame({"a": ["x\\ry"]})), needs_full_quoting(pd.DataFrame({"a": ["x,y\\nz"]}))
    (True, False)
    """
    if any(_HEADER_NEEDS_QUOTES.search(str(c)) for c in frame.columns):
        return True
    for series in _text_columns(frame):
        text = series.astype("string")
        if text.str.contains(_NEEDS_QUOTES.pattern, regex=True).fillna(False).any():
            return True
    return False


def write_csv(frame: pd.DataFrame, fh: BinaryIO, *, lineterminator: str = "\n", bom: bool = False) -> None:
    """Write ``frame`` (no index) as UTF-8 CSV to a binary file object.

    Every field holding the delimiter, a quote or a line break is quoted (with a
    carriage return or a Unicode line separator anywhere, every text field is),
    so any CSV reader gets the same rows back.
    """
    quoting = csv.QUOTE_NONNUMERIC if needs_full_quoting(frame) else csv.QUOTE_MINIMAL
    if bom:
        fh.write(b"\xef\xbb\xbf")
    wrapper = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
    try:
        frame.to_csv(wrapper, index=False, quoting=quoting, lineterminator=lineterminator)
        wrapper.flush()
    finally:
        wrapper.detach()


def csv_bytes(frame: pd.DataFrame, *, lineterminator: str = "\n", bom: bool = False) -> bytes:
    """:func:`write_csv` into bytes.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"a": ["x\\ry", "z"], "n": [1, 2]}))
    b'"a","n"\\n"x\\ry",1\\n"z",2\\n'
    """
    buf = io.BytesIO()
    write_csv(frame, buf, lineterminator=lineterminator, bom=bom)
    return buf.getvalue()


def _real(path: Path | str) -> Path:
    """The file a path names, through symbolic links (a link stays a link; its target is replaced)."""
    return Path(os.path.realpath(os.fspath(path)))


def check_distinct_outputs(paths: Mapping[str, Path | str | None]) -> None:
    """Refuse two outputs that name the same file (also through another path, a symbolic or a hard link).

    Parameters
    ----------
    paths : mapping
        Option name (``"-o"``, ``"--rejects"``) to path; None entries are skipped.

    Raises
    ------
    InputError
        ``"-o and --rejects name the same file (...): expected two different files"``.

    Examples
    --------
    >>> check_distinct_outputs({"-o": "a.csv", "--rejects": "./a.csv"})
    Traceback (most recent call last):
    ...
    geo.errors.InputError: -o and --rejects name the same file (a.csv): expected two different files
    """
    seen: list[tuple[str, Path, Path]] = []
    for label, path in paths.items():
        if path is None:
            continue
        real = _real(path)
        for other_label, other_path, other_real in seen:
            same = real == other_real
            if not same and real.exists() and other_real.exists():
                with contextlib.suppress(OSError):
                    same = os.path.samefile(real, other_real)
            if same:
                which = f"({other_path})" if Path(path) == other_path else f"({other_path} and {path})"
                raise InputError(f"{other_label} and {label} name the same file {which}: expected two different files")
        seen.append((label, Path(path), real))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files a killed writer left beside ``target`` (their writer process is gone).

    Temporary files are named ``.{name}.{pid}.{random}.tmp``; those of a live
    process (a concurrent writer) are left alone. Returns the removed paths.
    """
    target = Path(target)
    prefix = f".{target.name}."
    removed = []
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            if not (entry.name.startswith(prefix) and entry.name.endswith(_TEMP_SUFFIX)):
                continue
            middle = entry.name[len(prefix) : -len(_TEMP_SUFFIX)].split(".")
            if len(middle) != 2 or not middle[0].isdigit() or _pid_alive(int(middle[0])):
                continue
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


def _new_temporary(target: Path) -> tuple[int, Path]:
    """Create a temporary file beside ``target``; mode 0666 minus the umask, as ``open()`` would."""
    while True:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue


def write_files_atomic(
    writers: Mapping[Path | str, Callable[[BinaryIO], None]], *, labels: Mapping[Path | str, str] | None = None
) -> None:
    """Write several files all or nothing: each writer fills a temporary file, then every target is replaced.

    Parameters
    ----------
    writers : mapping
        Target path to a function that writes the content to a binary file object.
    labels : mapping, optional
        Target path to the name used in messages (e.g. the option, ``"--rejects"``).

    Raises
    ------
    InputError
        Two targets name the same file, or a target is a folder.
    OSError
        Writing failed (disk full, no permission); no target was changed.
    """
    labels = labels or {}
    targets = [(Path(p), fn) for p, fn in writers.items()]
    check_distinct_outputs({labels.get(p, str(p)): p for p, _ in targets})
    staged: list[tuple[Path, Path]] = []
    try:
        for path, fill in targets:
            real = _real(path)
            if real.is_dir():
                raise InputError(f"{labels.get(path, path)}: {path} is a folder, expected a file name")
            real.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(real)
            fd, tmp = _new_temporary(real)
            staged.append((tmp, real))
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, stat.S_IMODE(real.stat().st_mode))  # a replaced file keeps its mode
        while staged:
            tmp, real = staged[0]
            os.replace(tmp, real)
            staged.pop(0)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


def write_bytes_atomic(data: bytes, path: Path | str) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`write_files_atomic`)."""
    write_files_atomic({path: lambda fh: fh.write(data)})


def write_tables_atomic(
    tables: Mapping[Path | str, pd.DataFrame], *, labels: Mapping[Path | str, str] | None = None
) -> None:
    """Write several frames as UTF-8 CSV (:func:`write_csv`), all or nothing (:func:`write_files_atomic`)."""
    write_files_atomic({path: (lambda fh, f=frame: write_csv(f, fh)) for path, frame in tables.items()}, labels=labels)


def write_csv_atomic(frame: pd.DataFrame, path: Path | str) -> None:
    """Write ``frame`` as UTF-8 CSV to ``path`` atomically (a temporary file, then rename).

    A reader never sees a half-written file, and a failure leaves any old file intact.
    """
    write_tables_atomic({path: frame})
