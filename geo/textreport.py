"""Free-text reports: group, date, fatalities, target and place from one paragraph.

Analysts paste claims and news headlines, in English or Dari, one report per
paragraph, e.g.::

    National Resistance Front (#NRF) Militants Kill One #Taliban (IEA) Fighter in an
    Unspecified Attack on IEA Forces, Ganj-e-Shalbafan Area, PD-14, #Herat City,
    #Afghanistan — December 10, 2025

:func:`parse_report` extracts what a reader would: the group (through
:func:`geo.groups.normalize_group`), the date (English dates; Solar Hijri dates
in Dari converted to Gregorian by :func:`solar_hijri_to_gregorian`), the
fatalities (digits, Persian digits, English and Dari number words), the target
and the place phrase. Extraction is rule-based and deliberately cautious: what
it cannot find stays empty, and every event from text is marked for review.

The Solar Hijri calendar
------------------------
Afghanistan and Iran use the Solar Hijri calendar: the year starts at the March
equinox (1 Hamal = 1 Farvardin = Nowruz), months 1-6 have 31 days, 7-11 have 30,
and month 12 has 29 days (30 in a leap year). Afghanistan names the months after
the zodiac (Hamal ... Hoot), Iran uses Farvardin ... Esfand. Leap years follow the
equinox, not a fixed rule; :func:`solar_hijri_to_gregorian` uses K. M. Borkowski's
algorithm ("The Persian calendar for 3000 years", Earth, Moon and Planets 74, 1996,
as implemented in the widely used *jalaali* libraries), which reproduces the
astronomical calendar for the years 1178-3177 AP with a table of 20 "break" years
and the 33-year leap cycle between them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import unicodedata

from geo.groups import GROUP_ALIASES, normalize_group

# --------------------------------------------------------------------------------------
# Solar Hijri <-> Gregorian
# --------------------------------------------------------------------------------------

#: Years (AP) where the 33-year leap pattern restarts (Borkowski 1996).
_BREAKS = (-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178)


def _div(a: int, b: int) -> int:
    """Integer division truncating toward zero (the algorithm is written for it)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _mod(a: int, b: int) -> int:
    return a - _div(a, b) * b


def _jal_cal(jy: int) -> tuple[int, int, int]:
    """For Solar Hijri year ``jy``: (Gregorian year of its Nowruz, March day of Nowruz, years since last leap).

    The third value is 0 when ``jy`` is a leap year.
    """
    if not _BREAKS[0] <= jy < _BREAKS[-1]:
        raise ValueError(f"Solar Hijri year: expected {_BREAKS[0]}..{_BREAKS[-1] - 1}, got {jy}")
    gy = jy + 621
    leap_j = -14
    jp = _BREAKS[0]
    jump = 0
    for jm in _BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += _div(jump, 33) * 8 + _div(_mod(jump, 33), 4)
        jp = jm
    n = jy - jp
    leap_j += _div(n, 33) * 8 + _div(_mod(n, 33) + 3, 4)
    if _mod(jump, 33) == 4 and jump - n == 4:
        leap_j += 1
    leap_g = _div(gy, 4) - _div((_div(gy, 100) + 1) * 3, 4) - 150
    march = 20 + leap_j - leap_g
    if jump - n < 6:
        n = n - jump + _div(jump + 4, 33) * 33
    leap = _mod(_mod(n + 1, 33) - 1, 4)
    if leap == -1:
        leap = 4
    return gy, march, leap


def is_solar_hijri_leap(year: int) -> bool:
    """True when Solar Hijri ``year`` has 366 days (Hoot/Esfand has 30 days).

    Examples
    --------
    >>> is_solar_hijri_leap(1403), is_solar_hijri_leap(1404)
    (True, False)
    """
    return _jal_cal(year)[2] == 0


def solar_hijri_month_length(year: int, month: int) -> int:
    """Days in month ``month`` (1-12) of Solar Hijri ``year``."""
    if not 1 <= month <= 12:
        raise ValueError(f"Solar Hijri month: expected 1..12, got {month}")
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if is_solar_hijri_leap(year) else 29


def solar_hijri_to_gregorian(year: int, month: int, day: int) -> dt.date:
    """Convert a Solar Hijri date (Afghan Hamal..Hoot = Iranian Farvardin..Esfand) to Gregorian.

    Parameters
    ----------
    year, month, day : int
        Solar Hijri year (1178-3177), month 1-12 (1 = Hamal/Farvardin), day of month.

    Raises
    ------
    ValueError
        When the day does not exist (e.g. 30 Hoot in a common year).

    Examples
    --------
    >>> solar_hijri_to_gregorian(1403, 1, 1)
    datetime.date(2024, 3, 20)
    >>> solar_hijri_to_gregorian(1403, 10, 10)  # 10 Jadi 1403
    datetime.date(2024, 12, 30)
    """
    if not 1 <= day <= solar_hijri_month_length(year, month):
        raise ValueError(
            f"Solar Hijri day: month {month} of {year} has {solar_hijri_month_length(year, month)} days, got {day}"
        )
    gy, march, _ = _jal_cal(year)
    offset = (month - 1) * 31 - (month // 7) * (month - 7) + day - 1
    return dt.date(gy, 3, march) + dt.timedelta(days=offset)


def gregorian_to_solar_hijri(date: dt.date) -> tuple[int, int, int]:
    """Convert a Gregorian date to Solar Hijri (year, month, day); the inverse of :func:`solar_hijri_to_gregorian`.

    Examples
    --------
    >>> gregorian_to_solar_hijri(dt.date(2025, 3, 21))
    (1404, 1, 1)
    """
    jy = date.year - 621
    gy, march, _ = _jal_cal(jy)
    nowruz = dt.date(gy, 3, march)
    if date < nowruz:
        jy -= 1
        gy, march, _ = _jal_cal(jy)
        nowruz = dt.date(gy, 3, march)
    k = (date - nowruz).days
    if k < 186:
        return jy, 1 + k // 31, 1 + k % 31
    k -= 186
    return jy, 7 + k // 30, 1 + k % 30


# --------------------------------------------------------------------------------------
# Text normalisation, numbers
# --------------------------------------------------------------------------------------

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def normalize_report(text: str) -> str:
    """NFKC, Persian/Arabic-Indic digits to ASCII, Arabic letter variants unified, ZWNJ to space, spaces collapsed.

    Examples
    --------
    >>> normalize_report("۱۰ جدی ۱۴۰۳")
    '10 جدی 1403'
    """
    text = unicodedata.normalize("NFKC", str(text)).translate(_DIGITS)
    text = text.translate(
        str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "\u200c": " ", "\u200d": "", "\u200f": "", "\u200e": ""})
    )
    text = re.sub(r"[\u064b-\u065f\u0670]", "", text)  # short-vowel marks
    return re.sub(r"\s+", " ", text).strip()


#: English number words.
EN_NUMBERS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
EN_NUMBERS.update(
    {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
)
EN_NUMBERS.update({"a dozen": 12, "dozen": 12, "hundred": 100, "a hundred": 100})

#: Dari number words (after :func:`normalize_report`).
FA_NUMBERS: dict[str, int] = {
    "یک": 1,
    "یکی": 1,
    "دو": 2,
    "سه": 3,
    "چهار": 4,
    "پنج": 5,
    "شش": 6,
    "هفت": 7,
    "هشت": 8,
    "نه": 9,
    "ده": 10,
    "یازده": 11,
    "دوازده": 12,
    "سیزده": 13,
    "چهارده": 14,
    "پانزده": 15,
    "پونزده": 15,
    "شانزده": 16,
    "هفده": 17,
    "هجده": 18,
    "هژده": 18,
    "نوزده": 19,
    "بیست": 20,
    "سی": 30,
    "چهل": 40,
    "پنجاه": 50,
    "شصت": 60,
    "هفتاد": 70,
    "هشتاد": 80,
    "نود": 90,
    "صد": 100,
}

_EN_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_EN_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_EN_NUMBER_RE = (
    rf"(?:(?:{_EN_TENS})(?:[- ](?:{_EN_UNITS}))?|a dozen|dozen|a hundred|"
    + "|".join(sorted((w for w in EN_NUMBERS if " " not in w and w not in _EN_TENS.split("|")), key=len, reverse=True))
    + ")"
)
_FA_NUMBER_RE = (
    "(?:"
    + "|".join(sorted(FA_NUMBERS, key=len, reverse=True))
    + ")(?: و (?:"
    + "|".join(sorted((w for w, v in FA_NUMBERS.items() if v < 10), key=len, reverse=True))
    + "))?"
)


def number_value(token: str) -> int | None:
    """The integer a number token means: digits, English words (``twenty-one``) or Dari words (``بیست و یک``).

    Examples
    --------
    >>> number_value("twenty-one"), number_value("۱۲"), number_value("سه"), number_value("بیست و یک")
    (21, 12, 3, 21)
    """
    t = normalize_report(token).lower().replace(",", "")
    if t.isdigit():
        return int(t)
    if t in EN_NUMBERS:
        return EN_NUMBERS[t]
    parts = re.split(r"[- ]", t)
    if len(parts) == 2 and parts[0] in EN_NUMBERS and parts[1] in EN_NUMBERS:
        return EN_NUMBERS[parts[0]] + EN_NUMBERS[parts[1]]
    if t in FA_NUMBERS:
        return FA_NUMBERS[t]
    if " و " in t:
        a, b = t.split(" و ", 1)
        if a in FA_NUMBERS and b in FA_NUMBERS:
            return FA_NUMBERS[a] + FA_NUMBERS[b]
    return None


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

#: Solar Hijri month names (Afghan zodiac names in Dari and Latin spellings, Iranian names), month number.
SOLAR_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        ("حمل", "فروردین", "hamal", "farvardin", "farwardin"),
        ("ثور", "اردیبهشت", "sawr", "saur", "sowr", "sur", "ordibehesht"),
        ("جوزا", "جوزای", "خرداد", "jawza", "jauza", "jowza", "jawzā", "khordad"),
        ("سرطان", "تیر", "saratan", "tir"),
        ("اسد", "مرداد", "امرداد", "asad", "mordad", "amordad"),
        ("سنبله", "شهریور", "sunbula", "sonbola", "sunbulah", "shahrivar", "shahrewar"),
        ("میزان", "مهر", "mizan", "mehr"),
        ("عقرب", "آبان", "ابان", "aqrab", "aban"),
        ("قوس", "آذر", "اذر", "qaws", "qaus", "qows", "azar"),
        ("جدی", "دی", "jadi", "jaddi", "jadai", "jady", "dey", "dei"),
        ("دلو", "بهمن", "dalw", "dalv", "bahman"),
        ("حوت", "اسفند", "hoot", "hut", "hout", "esfand", "isfand"),
    ],
    start=1,
):
    for _n in _names:
        SOLAR_MONTHS[_n] = _num

#: Gregorian month names: English (full and short), Dari (Afghan) and Iranian Persian spellings.
GREGORIAN_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        ("january", "jan", "جنوری", "ژانویه", "ژانویه‌", "ینایر"),
        ("february", "feb", "فبروری", "فوریه", "فبرایر"),
        ("march", "mar", "مارچ", "مارس"),
        ("april", "apr", "اپریل", "آوریل", "اوریل", "آپریل"),
        ("may", "می", "مه", "مئی"),
        ("june", "jun", "جون", "ژوئن", "یونیو"),
        ("july", "jul", "جولای", "ژوئیه", "جولائی", "یولیو"),
        ("august", "aug", "اگست", "اوت", "آگوست", "اغسطس"),
        ("september", "sep", "sept", "سپتمبر", "سپتامبر"),
        ("october", "oct", "اکتوبر", "اکتبر"),
        ("november", "nov", "نومبر", "نوامبر"),
        ("december", "dec", "دسمبر", "دسامبر"),
    ],
    start=1,
):
    for _n in _names:
        GREGORIAN_MONTHS[_n] = _num


def _alt(names) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_W = r"(?<![\w])"  # a word start that also works for Arabic script
_WE = r"(?![\w])"
_GM = _alt(GREGORIAN_MONTHS)
_SM = _alt(SOLAR_MONTHS)
_DATE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("iso", re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
    ("g_mdy", re.compile(rf"{_W}({_GM})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}}){_WE}", re.I)),
    ("g_dmy", re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_GM})\.?,? (\d{{4}}){_WE}", re.I)),
    (
        "s_dmy",
        re.compile(
            rf"(?<!\d)(\d{{1,2}}) ?(?:ام|م)? ({_SM})(?: ماه)?(?: سال)? (\d{{4}})(?: ه\.? ?ش\.?| خورشیدی| هجری شمسی)?{_WE}",
            re.I,
        ),
    ),
    ("g_my", re.compile(rf"{_W}({_GM}) (\d{{4}}){_WE}", re.I)),
    ("s_my", re.compile(rf"{_W}({_SM})(?: ماه)?(?: سال)? (\d{{4}}){_WE}", re.I)),
)


def find_date(text: str) -> tuple[dt.date, str, str] | None:
    """The first full date in a report: (Gregorian date, precision ``"day"``/``"month"``, the matched text).

    Understands ISO dates, English dates (``December 10, 2025``, ``10 Dec 2025``),
    Gregorian dates written in Dari (``۱۰ دسامبر ۲۰۲۵``) and Solar Hijri dates
    (``۱۰ جدی ۱۴۰۳``, ``10 Jadi 1403``, ``۲۰ فروردین ۱۴۰۴``), which are converted.
    A month and year without a day gives the first of the month at ``"month"``
    precision. Impossible dates (31 February, 31 Mizan) are skipped.

    Examples
    --------
    >>> find_date("... #Afghanistan — December 10, 2025")[:2]
    (datetime.date(2025, 12, 10), 'day')
    >>> find_date("حمله در ۱۰ جدی ۱۴۰۳")[:2]
    (datetime.date(2024, 12, 30), 'day')
    """
    norm = normalize_report(text)
    found = []
    failed: list[tuple[int, int]] = []  # impossible full dates: their month and year are not a date either
    for kind, pat in _DATE_PATTERNS:
        for m in pat.finditer(norm):
            if kind in ("g_my", "s_my") and any(a <= m.start() < b for a, b in failed):
                continue
            try:
                if kind == "iso":
                    d, prec = dt.date(int(m[1]), int(m[2]), int(m[3])), "day"
                elif kind == "g_mdy":
                    d, prec = dt.date(int(m[3]), GREGORIAN_MONTHS[m[1].lower()], int(m[2])), "day"
                elif kind == "g_dmy":
                    d, prec = dt.date(int(m[3]), GREGORIAN_MONTHS[m[2].lower()], int(m[1])), "day"
                elif kind == "s_dmy":
                    d, prec = solar_hijri_to_gregorian(int(m[3]), SOLAR_MONTHS[m[2].lower()], int(m[1])), "day"
                elif kind == "g_my":
                    d, prec = dt.date(int(m[2]), GREGORIAN_MONTHS[m[1].lower()], 1), "month"
                else:
                    d, prec = solar_hijri_to_gregorian(int(m[2]), SOLAR_MONTHS[m[1].lower()], 1), "month"
            except ValueError:
                failed.append(m.span())
                continue
            found.append((m.start(), 0 if prec == "day" else 1, d, prec, m[0]))
    if not found:
        return None
    # Prefer a full date over a month-only match; then the earliest in the text.
    found.sort(key=lambda f: (f[1], f[0]))
    _, _, d, prec, matched = found[0]
    return d, prec, matched


# --------------------------------------------------------------------------------------
# Group, fatalities, target, place
# --------------------------------------------------------------------------------------

#: Groups searched for in the text, most specific first (the Taliban are usually the target).
_GROUP_ORDER = ("NRF", "AFF", "ISKP", "ALM", "TTP", "Unknown")


def _alias_regex(aliases) -> re.Pattern:
    parts = sorted({normalize_report(a) for a in aliases if len(a) >= 3}, key=len, reverse=True)
    return re.compile(r"(?<![\w])#?(?:" + "|".join(re.escape(p) for p in parts) + r")(?![\w])", re.I)


_GROUP_RES = {g: _alias_regex(GROUP_ALIASES[g]) for g in _GROUP_ORDER}


def find_group(text: str) -> tuple[str, str]:
    """The group a report names as the actor: (canonical code, the name as written).

    Resistance groups and ISKP are searched first (the Taliban are usually the
    target); a report naming none of them is ``("Unknown", "")``.

    Examples
    --------
    >>> find_group("National Resistance Front (#NRF) Militants Kill One #Taliban (IEA) Fighter")
    ('NRF', 'National Resistance Front')
    """
    norm = normalize_report(text)
    best = None
    for g, pat in _GROUP_RES.items():
        m = pat.search(norm)
        if m and (best is None or m.start() < best[2]):
            best = (g, m[0].lstrip("#"), m.start())
    if best is None:
        return "Unknown", ""
    return normalize_group(best[1]) if best[0] != "Unknown" else "Unknown", best[1]


_KILL_EN = r"kill(?:s|ed|ing)?|dead|died|slain|death(?:s)?|lost their lives|martyred|eliminat(?:e|es|ed|ing)"
_KILL_FA = r"کشته|کشتن|کشت|هلاک|هلاکت|جان باخت(?:ند)?|جان خود را از دست|به قتل|کشته شدن"
_KILL_RE = re.compile(rf"(?<![\w])(?:{_KILL_EN}|{_KILL_FA})(?![\w])", re.I)
_WOUND_RE = re.compile(r"(?<![\w])(?:wound(?:s|ed|ing)?|injur(?:e|es|ed|ing|ies)|hurt|زخمی|مجروح|زخم)(?![\w])", re.I)
_NUM_RE = re.compile(rf"(?<![\w\-/.])(?:\d{{1,4}}|{_EN_NUMBER_RE}|{_FA_NUMBER_RE})(?![\w\-/.])", re.I)


def find_fatalities(text: str) -> int | None:
    """The number of people a report says were killed, or None when it gives none.

    Takes the number nearest to a word for killing (``kill``, ``killed``, ``dead``,
    ``کشته``, ``هلاک``...) in the same clause, within five words, written in
    digits (ASCII or Persian) or words (English or Dari). Years, dates, ``PD-14``
    and numbers nearer to a word for wounding are not counted.

    Examples
    --------
    >>> find_fatalities("Militants Kill One #Taliban (IEA) Fighter")
    1
    >>> find_fatalities("سه تن از نیروهای طالبان کشته و دو تن زخمی شدند")
    3
    """
    norm = normalize_report(text)
    clauses = re.split(r"[.;؛!?\n—]|(?<!\d),(?!\d)|،", norm)
    for clause in clauses:
        kills = [m for m in _KILL_RE.finditer(clause)]
        if not kills:
            continue
        starts = [m.start() for m in re.finditer(r"\S+", clause)]

        def word_index(pos: int, starts: list[int] = starts) -> int:
            return bisect.bisect_right(starts, pos) - 1

        nums = []
        for m in _NUM_RE.finditer(clause):
            value = number_value(m[0])
            if value is None or (m[0].isdigit() and len(m[0]) == 4 and 1300 <= value <= 2100):
                continue
            nums.append((word_index(m.start()), word_index(m.end() - 1), value))
        kill_at = [word_index(k.start()) for k in kills]
        wound_at = [word_index(w.start()) for w in _WOUND_RE.finditer(clause)]

        def distance(start: int, end: int, at: int) -> tuple[int, int]:
            # (words apart, 0 when the number comes first): "three killed", "دو تن زخمی".
            return (at - end, 0) if end < at else (start - at, 1)

        best = None
        for start, end, value in nums:
            near_kill = min(distance(start, end, k) for k in kill_at)
            near_wound = min((distance(start, end, w) for w in wound_at), default=(99, 1))
            if 0 < near_kill[0] <= 5 and near_kill < near_wound and (best is None or near_kill < best[0]):
                best = (near_kill, value)
        if best is not None:
            return best[1]
    return None


_TARGET_RES = (
    re.compile(
        rf"(?:{_KILL_EN})\s+(?:{_EN_NUMBER_RE}|\d+)\s+([^,;.—]+?)(?:\s*[,;.—]|\s+(?:in|at|on|near|during)\b)", re.I
    ),
    re.compile(
        r"\b(?:attack(?:s|ed)?|ambush(?:ed)?|strike|targeted)\s+(?:on|against)?\s*(?:the\s+)?((?:#?Taliban|IEA)[^,.;—]*?)(?=[,.;—]|\s+in\b|\s+at\b|$)",
        re.I,
    ),
    re.compile(r"(?:حمله|حملات|کمین)\s+(?:بر|به|علیه)\s+([^،,.؛]+?)(?=\s+(?:در|که|را)\b|[،,.؛]|$)"),
)


def find_target(text: str) -> str:
    """Who or what was attacked, as the report words it (``""`` when not found).

    Examples
    --------
    >>> find_target("NRF Militants Kill One #Taliban (IEA) Fighter in an Unspecified Attack on IEA Forces")
    'Taliban (IEA) Fighter'
    """
    norm = normalize_report(text)
    for pat in _TARGET_RES:
        m = pat.search(norm)
        if m:
            return m[1].replace("#", "").strip(" -–:")
    return ""


_PLACE_WORDS_EN = r"(?:area|district|city|province|village|valley|pd-?\s?\d+|police district|square|road|highway|bazaar|market|checkpoint|gorge|pass)"
_PLACE_WORDS_FA = (
    r"(?:ولسوالی|ولایت|استان|شهرستان|شهر|ناحیه|حوزه|منطقه|ساحه|قریه|روستای|روستا|دره|گذر|چهارراهی|بازار|شاهراه|جاده)"
)
_FA_STOP = (
    r"(?:حمله|حملات|کمین|کشته|زخمی|هلاک|شد|شدند|کرد|کردند|است|بود|گفت|اعلام|توسط|که|را|به دست|از سوی|هدف|"
    r"طالب|طالبان|نیروهای|نیروی|جنگجو|جنگجویان|" + "|".join(sorted(FA_NUMBERS, key=len, reverse=True)) + ")"
)


def find_place(text: str, *, date_text: str = "") -> str:
    """The place phrase of a report (``""`` when none is found).

    English headlines put the place after the first comma
    (``"..., Ganj-e-Shalbafan Area, PD-14, #Herat City, #Afghanistan — date"``): those
    segments are kept, minus the date and the country. Otherwise the phrase after
    ``in``/``at``/``near`` is taken. In Dari the phrase starting at a place word
    (ولسوالی, ولایت, شهر, ناحیه, حوزه, منطقه, دره...) or after ``در`` runs up to the
    next verb or punctuation.

    Examples
    --------
    >>> find_place("NRF Kill One #Taliban Fighter in an Attack on IEA Forces, Ganj-e-Shalbafan Area, "
    ...            "PD-14, #Herat City, #Afghanistan — December 10, 2025", date_text="December 10, 2025")
    'Ganj-e-Shalbafan Area, PD-14, Herat City'
    """
    norm = normalize_report(text)
    if date_text:
        norm = norm.replace(normalize_report(date_text), " ")
    norm = re.sub(r"\s+", " ", norm).strip(" —–-")
    if re.search(r"[\u0600-\u06ff]", norm) and not re.search(r"[A-Za-z]{4,}", norm):
        return _find_place_fa(norm)
    norm = re.sub(r"\s+(?:on|in|at|of|,)\s*$", "", norm)
    head, *rest = [s.strip() for s in re.split(r"\s[—–-]\s|,", norm)]
    segments = [s.replace("#", "").strip() for s in rest if s.strip()]
    segments = [s for s in segments if not re.fullmatch(r"(?i)afghanistan|the country|\d{4}", s)]
    if segments and all(_looks_like_place(s) for s in segments):
        return ", ".join(segments)
    for m in re.finditer(r"\b(?:in|at|near)\s+((?:the\s+)?#?[A-Z][^.;—–]*)", norm.replace("#", "")):
        place = re.split(
            r",\s+(?![A-Z])|\s+(?:on|during|after|when|while|as|last|late|early|killing|wounding)\b", m[1]
        )[0]
        place = re.sub(r"(?i)^the\s+", "", place).strip(" ,")
        if place:
            return place
    return ""


def _looks_like_place(segment: str) -> bool:
    """A headline segment that names a place: capitalised words, numbers and place words only."""
    words = segment.split()
    small = {"of", "the", "e", "al", "de", "ul", "near", "in"}
    return bool(words) and all(
        w[0].isupper() or w[0].isdigit() or w.lower() in small or re.fullmatch(_PLACE_WORDS_EN, w, re.I) for w in words
    )


def _find_place_fa(norm: str) -> str:
    m = re.search(rf"(?<![\w]){_PLACE_WORDS_FA}(?![\w])", norm)
    if not m:
        m = re.search(r"(?<![\w])در\s+(?=\S)", norm)
        if not m:
            return ""
        start = m.end()
    else:
        start = m.start()
    tail = norm[start:]
    tail = re.split(rf"[،,.؛:!?»«\"()]|\s-\s|\d|(?<![\w]){_FA_STOP}(?![\w])", tail, maxsplit=1)[0]
    words = tail.replace("#", "").split()
    return " ".join(words[:8]).strip()


def split_reports(text: str) -> list[str]:
    """Split pasted text into reports: one per paragraph (blank-line separated).

    Examples
    --------
    >>> split_reports("first report\\nstill first\\n\\n\\nsecond")
    ['first report still first', 'second']
    """
    paras = re.split(r"\n\s*\n", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return [re.sub(r"\s+", " ", p).strip() for p in paras if p.strip()]


def parse_report(text: str) -> dict[str, object]:
    """Extract the fields of one report.

    Returns
    -------
    dict
        ``group`` (canonical), ``actor1`` (the name as written), ``event_date``
        (``datetime.date`` or None), ``date_precision``, ``date_text``,
        ``fatalities`` (int or None), ``actor2`` (target), ``location`` (place
        phrase), ``text`` (the report).

    Examples
    --------
    >>> r = parse_report("National Resistance Front (#NRF) Militants Kill One #Taliban (IEA) Fighter in an "
    ...     "Unspecified Attack on IEA Forces, Ganj-e-Shalbafan Area, PD-14, #Herat City, #Afghanistan — December 10, 2025")
    >>> r["group"], str(r["event_date"]), r["fatalities"], r["location"]
    ('NRF', '2025-12-10', 1, 'Ganj-e-Shalbafan Area, PD-14, Herat City')
    """
    date = find_date(text)
    group, actor = find_group(text)
    return {
        "group": group,
        "actor1": actor,
        "event_date": date[0] if date else None,
        "date_precision": date[1] if date else "",
        "date_text": date[2] if date else "",
        "fatalities": find_fatalities(text),
        "actor2": find_target(text),
        "location": find_place(text, date_text=date[2] if date else ""),
        "text": text,
    }
