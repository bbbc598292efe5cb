"""Place text (English, Dari, Pashto, Arabic) and coordinates to province and district.

The geocoder never guesses. It reads a place phrase as a list of *mentions* (names
found in the gazetteer, see :mod:`geo.gazetteer`), each with the *marker* beside it
("district", "ولسوالی", "province", "ولایت", "city", "شهر", "PD-14", "حوزه چهارم"...),
and then settles the answer:

1. A city police district ("PD-14, Herat City", "ناحیه پانزدهم شهر کابل",
   "Kabul's 15th district") resolves to the city's district (Kabul → AF0101).
2. A name marked as a district, then one marked as a city, then an unmarked
   district or town name, gives the district, *if* it is consistent with every
   province named in the text (and with the ``admin1`` hint).
3. A bare name that is both a province and its capital district ("Herat",
   "Kunduz", "کابل") is a province: the district is left empty and the note says so;
   with an urban place beside it ("a mosque in Herat", "چهارراهی ... کابل": the phrases
   of ``afg_place_context.csv``) it is the city, the capital district at precision 2.
4. A name found in several provinces (Fayzabad, Baharak, Qara Bagh...) is settled
   by a province in the text or the hints; otherwise the answer is ``ambiguous``
   with every candidate listed.
5. Several districts of one province, none preferred: the province (precision 3).
6. Nothing found: ``unresolved``, with a note.

Precision follows ACLED: 1 a named town, a city or a neighbourhood (GeoNames
coordinates), or given coordinates; 2 a district (its label point); 3 a province
(its label point). Coordinates, when given, win: the point-in-district result
(:func:`geo.join.assign_points`) is kept and a disagreement with the stated names
is flagged in ``geocode_note`` with the text-based answer in ``geocode_candidates``.

``geocode_candidates`` format: ``"; "``-separated items, each ``"<P-code> <name>"``
with the province in brackets for a district, e.g.
``"AF1701 Fayzabad (Badakhshan); AF2808 Fayzabad (Jawzjan)"`` or ``"AF19 Kunduz; AF09 Baghlan"``.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from rapidfuzz import fuzz as rf_fuzz
from rapidfuzz import process as rf_process

from geo.errors import InputError
from geo.gazetteer import (
    _ARABIC_LETTER,
    _DROP_TOKENS,
    CONTEXT_CITY,
    ContextPhrase,
    Entry,
    Gazetteer,
    key_from_tokens,
    load_gazetteer,
    name_key,
    normalize_text,
    skeleton,
    tokens,
)
from geo.join import assign_points
from geo.schema import GEOCODE_COLUMNS, PRECISION_DISTRICT, PRECISION_PLACE, PRECISION_PROVINCE

MATCHED, AMBIGUOUS, UNRESOLVED = "matched", "ambiguous", "unresolved"

#: Prefix given to an input column whose name clashes with an output column.
INPUT_PREFIX = "input_"


@dataclass(frozen=True)
class GeocodeResult:
    """The geocoder's answer for one place text; fields are the ``GEOCODE_COLUMNS``."""

    adm1_pcode: str = ""
    admin1: str = ""
    adm2_pcode: str = ""
    admin2: str = ""
    latitude: float = math.nan
    longitude: float = math.nan
    geo_precision: int | None = None
    geocode_status: str = UNRESOLVED
    geocode_candidates: str = ""
    geocode_note: str = ""


assert tuple(f.name for f in fields(GeocodeResult)) == GEOCODE_COLUMNS

# --- vocabulary (normalised tokens, see geo.gazetteer.normalize_text) -------------------

_DISTRICT_WORDS = {
    "district",
    "districts",
    "dist",
    "woleswali",
    "wuleswali",
    "uluswali",
    "distrik",
    "dystrykt",
    "dystrykcie",
}
_PROVINCE_WORDS = {"province", "provinces", "wilayat", "velayat", "provinsi", "prowincji", "prowincja", "prowincie"}
_CITY_WORDS = {"city", "town", "kota", "miasto", "miescie", "ville"}
#: "of" in the languages reports come in: "the city of Herat", "la ville de Herat", "la province d'Herat".
_OF = {"of", "de", "du", "d"}
_AR_DISTRICT = {
    "ولسوالی",
    "ولسوالیو",
    "شهرستان",
    "مدیریه",
    "بمدیریه",
    "لمدیریه",
    "ولسوالیهای",
    "شهرستانهای",
    "علاقهداری",
}
_AR_PROVINCE = {"ولایت", "ولایات", "استان", "ولایه", "بولایه", "لولایه", "ولایتهای", "استانهای", "ولایتی"}
_AR_CITY = {"شهر", "مدینه", "بمدینه", "شار", "مرکز", "بمرکز", "پایتخت", "العاصمه", "عاصمه", "بالعاصمه"}
_PLURAL = {"ها", "های"}
#: English words that are also GeoNames or OCHA alternate names: never read as places.
_NOT_PLACES = {
    "said",
    "march",
    "may",
    "firing",
    "mashhad",
    "taliban",
    "police",
    "security",
    "district",
    "province",
    "city",
    "town",
    "village",
    "area",
    "valley",
    "the",
    "and",
    "of",
    "in",
    "on",
    "at",
    "near",
    "bay",
    "pass",
}
_NOT_PLACES |= {"road", "highway", "route", "main", "street", "square", "bridge", "river", "mountain", "mountains"}
#: Words that cannot be part of a misspelt name next to a marker ("Taliban district chief").
_NOT_FUZZY = _NOT_PLACES | {
    "provincial",
    "local",
    "same",
    "neighbouring",
    "neighboring",
    "nearby",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "north",
    "south",
    "east",
    "west",
    "remote",
    "rural",
    "capital",
    "military",
    "government",
    "governor",
    "former",
    "new",
    "old",
    "key",
    "strategic",
    "border",
    "mountainous",
    "this",
    "that",
    "another",
    "each",
    "every",
    "one",
    "two",
    "three",
    "several",
    "many",
    "other",
    "restive",
    "volatile",
    "headquarters",
    "chief",
    "administrative",
    "resistance",
    "fighters",
    "forces",
    "commander",
    "army",
    "islamic",
    "emirate",
    "national",
    "front",
    "iskp",
    "nrf",
    "aff",
    "a",
    "an",
    "its",
    "their",
    "his",
    "her",
    "whole",
    "entire",
}
#: A name followed by one of these is an institution, not a place ("Kabul Bank").
_INSTITUTION_AFTER = {"bank", "university", "polytechnic", "times", "news", "tv", "press"}

#: "Bandar-e Khan Abad" is the terminal for the Khan Abad road, inside another town:
#: a name after one of these is a destination, not the place.
_ROAD_HEAD_BEFORE = {"bandar", "بندر"}
#: "the Kabul-Jalalabad highway", "شاهراه کابل-قندهار": the names are a road's ends, not the place.
#: They only help choose between same-named districts ("... highway in Surobi district").
_ROAD_WORDS = {"highway", "road", "route", "motorway", "شاهراه", "جاده", "سرک", "بزرگراه"}

_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
}
_FA_UNITS = {"یکم": 1, "اول": 1, "دوم": 2, "سوم": 3, "چهارم": 4, "پنجم": 5, "ششم": 6, "هفتم": 7, "هشتم": 8, "نهم": 9}
_FA_ORDINALS = {
    **_FA_UNITS,
    "دهم": 10,
    "یازدهم": 11,
    "دوازدهم": 12,
    "سیزدهم": 13,
    "چهاردهم": 14,
    "پانزدهم": 15,
    "پانزدهمین": 15,
    "شانزدهم": 16,
    "هفدهم": 17,
    "هفتدهم": 17,
    "هجدهم": 18,
    "هژدهم": 18,
    "هیجدهم": 18,
    "نزدهم": 19,
    "نوزدهم": 19,
    "بیستم": 20,
}
_PD_AR = {"ناحیه", "حوزه", "ناحیهی", "حوزهی", "ناحیه‌ی", "ناحیې", "حوزې", "الناحية", "الحوزة", "الدائرة", "دائرة"}
#: Arabic ordinals (masculine stems; "ال" and the feminine "ة" are stripped), "الخامسة عشرة" = 15.
_AR_ORDINALS = {
    "اول": 1,
    "اولی": 1,
    "ثانی": 2,
    "ثالث": 3,
    "رابع": 4,
    "خامس": 5,
    "سادس": 6,
    "سابع": 7,
    "ثامن": 8,
    "تاسع": 9,
    "عاشر": 10,
    "حادی": 11,
}
#: Pashto ordinals (the feminine "-ه" form is read too): لومړۍ ناحیه، پنځمه امنیتي حوزه.
_PS_ORDINALS = {
    "لومړی": 1,
    "لومړۍ": 1,
    "لمړی": 1,
    "دوهم": 2,
    "دویم": 2,
    "دریم": 3,
    "څلورم": 4,
    "پنځم": 5,
    "شپږم": 6,
    "اووم": 7,
    "اتم": 8,
    "نهم": 9,
    "لسم": 10,
    "یوولسم": 11,
    "دوولسم": 12,
    "دیارلسم": 13,
    "څوارلسم": 14,
    "پنځلسم": 15,
    "شپاړسم": 16,
    "اوولسم": 17,
    "اتلسم": 18,
    "نولسم": 19,
    "شلم": 20,
    "یوویشتم": 21,
    "دوویشتم": 22,
}
_PD_EN_BEFORE = {"police", "security", "municipal", "city", "pd", "nahia", "nahiya", "nahiyah", "precinct"}
_MAX_PD = 22


def _norm_set(words) -> set[str]:
    return {normalize_text(w) for w in words}


# Arabic-script vocabulary is compared after normalize_text (پ→ب, چ→ج, ق→ک...), so normalise it too.
_AR_DISTRICT = _norm_set(_AR_DISTRICT)
_AR_PROVINCE = _norm_set(_AR_PROVINCE)
_AR_CITY = _norm_set(_AR_CITY)
_PD_AR = _norm_set(_PD_AR)
_ROAD_HEAD_BEFORE = _norm_set(_ROAD_HEAD_BEFORE)
_ROAD_WORDS = _norm_set(_ROAD_WORDS)
#: "between Kunduz and Baghlan", "بین قندوز و بغلان": two ends, neither is the place.
_BETWEEN = {"between"} | _norm_set({"بین", "میان", "بين"})
#: Words allowed between a marker and its name: "العاصمة الأفغانية كابل", "the Afghan capital".
_AR_SKIP = _norm_set({"الأفغانية", "الافغانیه", "افغانستان"})
_FA_UNITS = {normalize_text(k): v for k, v in _FA_UNITS.items()}
_FA_ORDINALS = {normalize_text(k): v for k, v in {**_PS_ORDINALS, **_FA_ORDINALS}.items()}
_AR_ORDINALS = {normalize_text(k): v for k, v in _AR_ORDINALS.items()}
_ASHAR = _norm_set({"عشر", "عشرة"})
_AMNIYATI = _norm_set({"امنیتی", "الأمنية", "امنية"})
#: Words that put the event near, not at, the place named after them.
_NEAR = {"outskirts", "outskirt", "suburbs", "suburb", "vicinity", "near", "nearby", "outside"} | _norm_set(
    {"حومه", "حومهی", "اطراف", "حوالی", "نزدیک", "نزدیکی", "بیرون"}
)
_AIRPORT = {"airport", "airfield", "airbase", "air"} | _norm_set({"میدان هوایی", "فرودگاه", "مطار"})
_CAPITAL_WORDS = {"capital", "centre", "center"} | _norm_set({"مرکز"})
#: "the capital" with no name: Kabul (only when the text names nothing else).
_THE_CAPITAL = _norm_set({"پایتخت", "العاصمه", "بالعاصمه"})
_BIST = normalize_text("بیست")
_SHAR = normalize_text("ښار")


# --- parsing -----------------------------------------------------------------------------


@dataclass
class _Mention:
    start: int
    end: int
    text: str
    entries: tuple[Entry, ...]
    marker: str | None = None  # "district" | "province" | "city"
    fuzzy: bool = False
    how: str = ""
    near: bool = False  # "outskirts of X", "near X", "حومه X": X's district, not X's point
    road: bool = False  # an end of a named road: context only
    hint: bool = False  # from the admin2 hint, not from the place text
    airport: bool = False  # "Herat airport": a city's airport often lies in a neighbouring district
    in_village: str = ""  # the longer village name this district name sits inside ("Nawa Mesh Bazaar"): context


_TOKEN_RE = re.compile(r"[0-9a-zA-Z\u0600-\u06ff]+|[,;:()\[\]/.!?…]")


def _words(text: str) -> tuple[list[str], list[bool]]:
    """Tokens and, for each, whether a punctuation break precedes it."""
    words, brk, _ = _words_cased(text)
    return words, brk


def _words_cased(text: str) -> tuple[list[str], list[bool], list[bool]]:
    """Tokens, punctuation breaks, and whether each Latin token was written with a capital.

    When the text has no capital letters at all (or no lower-case ones), or is a
    short place field (four Latin words or fewer), every token counts as capitalised.
    """
    cased = normalize_text(text, keep_case=True)
    words: list[str] = []
    brk: list[bool] = []
    cap: list[bool] = []
    pending = False
    for m in _TOKEN_RE.finditer(cased):
        t = m.group(0)
        if not t[0].isalnum() and not ("\u0600" <= t[0] <= "\u06ff"):
            pending = True
            continue
        words.append(t.lower())
        cap.append(not t[0].islower())
        brk.append(pending)
        pending = False
    latin = re.sub(r"[^A-Za-z]", "", cased)
    n_latin = sum(1 for w in words if w[:1].isascii() and w[:1].isalpha())
    if latin.islower() or latin.isupper() or n_latin <= 4:
        # No use of case, or a short place field ("qalat, Zabul"): case says nothing.
        cap = [True] * len(words)
    return words, brk, cap


def _is_ar(t: str) -> bool:
    return bool(t) and "\u0600" <= t[0] <= "\u06ff"


def _ordinal(words: list[str], i: int) -> tuple[int | None, int]:
    """Read an ordinal or number at ``words[i]``; return (value, tokens used)."""
    if i >= len(words):
        return None, 0
    t = words[i]
    m = re.fullmatch(r"(\d{1,2})(st|nd|rd|th|m|om|um|مین|مه|م)?", t)
    if m:
        return int(m.group(1)), 1
    m = re.fullmatch(r"pd(\d{1,2})", t)
    if m:
        return int(m.group(1)), 1
    if t in _EN_ORDINALS:
        return _EN_ORDINALS[t], 1
    if t == "twenty" and i + 1 < len(words) and words[i + 1] in _EN_ORDINALS and _EN_ORDINALS[words[i + 1]] < 10:
        return 20 + _EN_ORDINALS[words[i + 1]], 2
    if t.startswith("twenty") and t[6:] in _EN_ORDINALS:
        return 20 + _EN_ORDINALS[t[6:]], 1
    if t in _FA_ORDINALS:
        return _FA_ORDINALS[t], 1
    if len(t) > 3 and t.endswith("ه") and t[:-1] in _FA_ORDINALS:
        return _FA_ORDINALS[t[:-1]], 1  # Pashto feminine: پنځمه
    if t == _BIST and i + 2 < len(words) and words[i + 1] == "و" and words[i + 2] in _FA_UNITS:
        return 20 + _FA_UNITS[words[i + 2]], 3
    stem = t[2:] if t.startswith("ال") and len(t) > 4 else t
    stem = stem[:-1] if stem.endswith("ه") and len(stem) > 3 else stem
    if stem in _AR_ORDINALS:
        value = _AR_ORDINALS[stem]
        if i + 1 < len(words) and words[i + 1] in _ASHAR:
            return (value if value > 10 else value + 10), 2  # الخامسة عشرة, الحادی عشر
        return (value if value <= 10 else None), 1
    return None, 0


def _find_pd(words: list[str]) -> tuple[int | None, set[int]]:
    """A city police-district number and the token positions it used (not names)."""
    n = len(words)
    for i, t in enumerate(words):
        used: set[int] = set()
        num = None
        if t in _PD_AR:
            j = i + 1
            if j < n and words[j] in _AMNIYATI:
                j += 1
            num, k = _ordinal(words, j)
            if num is not None:
                used = set(range(i, j + k))
                if j + k < n and words[j + k] in _AMNIYATI:
                    used.add(j + k)
        elif _is_ar(t) or t.isdigit() or re.fullmatch(r"\d{1,2}\D+", t):
            # Pashto order: the ordinal comes first (پنځمه ناحیه، لسمه امنیتي حوزه، ۵مه ناحیه).
            val, k = _ordinal(words, i)
            if val is not None:
                j = i + k
                if j < n and words[j] in _AMNIYATI:
                    j += 1
                if j < n and words[j] in _PD_AR:
                    num = val
                    used = set(range(i, j + 1))
        if num is None and re.fullmatch(r"pd\d{1,2}", t):
            num, _ = _ordinal(words, i)
            used = {i}
        elif t in ("pd", "nahia", "nahiya", "nahiyah", "precinct") and i + 1 < n:
            num, k = _ordinal(words, i + 1)
            used = set(range(i, i + 1 + k))
        elif t in ("district", "districts") and i + 1 < n and i > 0 and words[i - 1] in _PD_EN_BEFORE:
            num, k = _ordinal(words, i + 1)  # "police district 14", "city district 15"
            used = set(range(i - 1, i + 1 + k))
        elif t in ("district", "districts") and i + 1 < n and re.fullmatch(r"\d{1,2}", words[i + 1]):
            num, k = _ordinal(words, i + 1)  # "district 15"
            used = set(range(i, i + 1 + k))
        elif not _is_ar(t) and not t.isdigit():
            # "15th district", "fifteenth police district", "10th security district"
            val, k = _ordinal(words, i)
            if val is not None:
                j = i + k
                while j < n and words[j] in ("police", "security", "municipal", "city"):
                    j += 1
                if j < n and words[j] in ("district", "pd", "precinct", "zone"):
                    num = val  # "the 6th security zone of Kabul" too
                    used = set(range(i, j + 1))
        if num is not None and 1 <= num <= _MAX_PD:
            return num, used
    return None, set()


def _joined(words: list[str], brk: list[bool], s: int, e: int, phrase: ContextPhrase) -> bool:
    """Whether ``phrase`` (a ``capital`` phrase of ``afg_place_context.csv``) is written around ``words[s:e]``.

    No punctuation may separate the phrase from the name: "ساختمان ولایت تخار", "the Takhar
    provincial building", "د تخار ولایت مقام".
    """
    b, a = len(phrase.before), len(phrase.after)
    if s - b < 0 or e + a > len(words):
        return False
    if tuple(words[s - b : s]) != phrase.before or tuple(words[e : e + a]) != phrase.after:
        return False
    return not any(brk[s - b + 1 : s + 1]) and not any(brk[e : e + a])


def _marker(words: list[str], brk: list[bool], s: int, e: int, g: Gazetteer | None = None) -> str | None:
    """The marker beside the name at ``words[s:e]``: before it first, then after it.

    A marker counts only when no punctuation separates it from the name
    ("Muqur district (Ghazni)": "district" belongs to Muqur, not to Ghazni),
    except "capital, Kabul". An office phrase of ``afg_place_context.csv`` joined to
    the name ("ساختمان ولایت تخار", "the Takhar provincial building") marks the
    province's capital (``"capital"``).
    """
    n = len(words)
    if s >= 2 and words[s - 1] in _AR_SKIP and not brk[s] and not brk[s - 1]:
        s2 = s - 1  # "العاصمة الأفغانية كابل": read the marker before the adjective
        words = words[:s2] + words[s:]
        brk = brk[:s2] + brk[s:]
        return _marker(words, brk, s2, s2 + (e - s), g)
    if g is not None:
        offices = g.capital_before.get(words[s - 1], ()) if s >= 1 else ()
        offices += g.capital_after.get(words[e], ()) if e < n else ()
        if any(_joined(words, brk, s, e, c) for c in offices):
            return "capital"
    joined_before = s >= 1 and not brk[s]
    b = words[s - 1] if s >= 1 else ""
    b2 = words[s - 2] if s >= 2 and not brk[s - 1] else ""
    a = words[e] if e < n and not brk[e] else ""
    if joined_before and b == "of" and b2 in _CAPITAL_WORDS:
        return "capital"  # "capital of Parwan", "centre of Kapisa"
    if joined_before and b in _AR_PROVINCE and b2 in _CAPITAL_WORDS:
        return "capital"  # مرکز ولایت تخار
    if joined_before and b in _CAPITAL_WORDS and _is_ar(b):
        return "capital"  # مرکز کاپیسا (a town after مرکز is read as a city)
    if _is_ar(words[s]):
        if joined_before:
            word = b2 if b in _PLURAL else b
            if word in _AR_DISTRICT:
                return "district"
            if word in _AR_PROVINCE:
                return "province"
            if word in _AR_CITY:
                return "city"
        if a in _AR_DISTRICT:
            return "district"
        if a in _AR_PROVINCE:
            return "province"
        if a == _SHAR:
            return "city"
        return None
    if a in ("district", "districts", "dist", "woleswali", "wuleswali", "uluswali"):
        return "district"
    if a in _PROVINCE_WORDS:
        return "province"
    if a in ("city", "town", "citys"):
        return "city"  # "Kandahar city's Shahr-e Naw area" too (the apostrophe is dropped)
    if b == "capital" or (b == "afghan" and b2 == "capital"):
        return "city"
    if not joined_before:
        return None
    if b in _OF and b2 in _DISTRICT_WORDS:
        return "district_of"  # "the district of Khinj", but "Surobi district of Kabul": see _read_mention
    if b in _OF and b2 in _PROVINCE_WORDS:
        return "province"
    if b in _OF and b2 in _CITY_WORDS:
        return "city"
    if b == "kota" and b2 != "ibu":
        return "city"
    if b in ("provinsi", "prowincji", "province", "wilayat"):
        return "province"
    if b in ("district", "woleswali", "wuleswali"):
        return "district"
    return None


def _match_at(
    words: list[str], brk: list[bool], cap: list[bool], taken: list[bool], i: int, g: Gazetteer
) -> tuple[int, tuple[Entry, ...]] | None:
    """The longest name starting at ``words[i]`` (a district or town before a longer village), or None."""
    n = len(words)
    village = None
    for L in range(min(g.max_tokens, n - i), 0, -1):
        span = words[i : i + L]
        if any(taken[i + 1 : i + L]) or any(brk[i + 1 : i + L]):
            continue
        if any(_is_ar(t) for t in span) and not all(_is_ar(t) for t in span):
            continue
        if L > 1 and (span[0] in _DROP_TOKENS or span[-1] in _DROP_TOKENS):
            continue  # "e Khas", "Deh Salah and": a name neither starts nor ends with izafe or "and"
        if not _is_ar(span[0]) and (not cap[i] or span[0] in _NOT_PLACES):
            break  # English names are capitalised; "said", "firing", "March" are words
        key = key_from_tokens(span)
        entries = g.lookup(key)
        if not entries and _is_ar(span[0]) and len(span[0]) > 3 and span[0][0] in "بول":
            # Glued prepositions and conjunctions: بولایت, وبغلان, لکابل.
            entries = g.lookup(key_from_tokens([span[0][1:]] + span[1:]))
        if not entries and L == 1 and _is_ar(span[0]) and len(span[0]) > 4 and span[0].endswith("ی"):
            entries = g.lookup(key_from_tokens([span[0][:-1]]))  # izafe: یفتلبالای
        if not entries and L == 1 and not _is_ar(span[0]) and span[0].endswith("s") and len(span[0]) > 4:
            entries = g.lookup(key_from_tokens([span[0][:-1]]))  # possessive: Kabul's
        if entries and all(_is_village(x) for x in entries):
            village = village or (L, entries)  # a shorter district or town name wins over a village
        elif entries:
            return L, entries
    return village


def _scan(text: str, g: Gazetteer) -> tuple[list[_Mention], int | None, str]:
    """Find the mentions (longest match first), a police-district number and an urban-context phrase.

    The third value is the phrase of ``afg_place_context.csv`` that says the text is in a
    city ("mosque", "چهارراهی", "the Hud Khel area"), or ``""``: see :func:`_urban_context`.
    """
    words, brk, cap = _words_cased(text)
    if not words:
        return [], None, ""
    pd_num, pd_used = _find_pd(words)
    tree = _hierarchy(words, brk, g)
    mentions: list[_Mention] = []
    taken = [False] * len(words)
    for i in pd_used:
        taken[i] = True
    n = len(words)
    i = 0
    while i < n:
        if taken[i]:
            i += 1
            continue
        found = _match_at(words, brk, cap, taken, i, g)
        if found is not None and all(_is_village(x) for x in found[1]):
            # A village name must not swallow the start of a district or town name ("د چاه آب").
            inner = (_match_at(words, brk, cap, taken, j, g) for j in range(i + 1, i + found[0]))
            if any(m is not None and not all(_is_village(x) for x in m[1]) for m in inner):
                found = None
        if found is None:
            i += 1
            continue
        L, entries = found
        s, e = i, i + L
        prev = s - 1
        while prev >= 0 and words[prev] in _DROP_TOKENS:
            prev -= 1  # "Bandar-e Khan Abad": skip the izafe
        if (e < n and words[e] in _INSTITUTION_AFTER) or (prev >= 0 and words[prev] in _ROAD_HEAD_BEFORE):
            i = e
            continue
        marker = _marker(words, brk, s, e, g)
        if marker is None and tree is not None:
            marker = tree.marker_for(s, e, entries)
        how = ""
        if marker == "district" and not any(x.kind == "district" for x in entries):
            # "Chahar Burjak district": a town of that name is not the district; look for the district.
            found = _closest(key_from_tokens(words[s:e]), "district", g)
            if found is not None:
                entries, how = found
        if all(x.weak for x in entries) and marker not in ("district", "city", "capital"):
            i += 1
            continue
        # "near Kabul's second-largest mosque": with a possessive, "near" is said of what follows.
        possessive = not _is_ar(words[e - 1]) and not g.lookup(key_from_tokens(words[s:e]))
        near = any(words[k] in _NEAR for k in range(max(0, s - 3), s)) and not possessive
        airport = e < n and words[e] in _AIRPORT
        mentions.append(
            _Mention(s, e, " ".join(words[s:e]), entries, marker, fuzzy=bool(how), how=how, near=near, airport=airport)
        )
        for k in range(s, e):
            taken[k] = True
        i = e
    mentions += _fuzzy(words, taken, g)
    if tree is not None:
        mentions = _fill_district_slot(tree, words, cap, mentions, g)
        _names_inside_villages(tree, words, brk, mentions)
    mentions.sort(key=lambda m: m.start)
    _mark_roads(mentions, words, brk)
    _mark_destinations(mentions, words)
    _spread_plural_markers(mentions, words)
    # Urban context only matters for a capital that shares its province's name: look for it only then.
    shared = any(
        (e.adm2_pcode or g.centre_of.get(e.adm1_pcode)) in g.same_name_capitals for m in mentions for e in m.entries
    )
    return mentions, pd_num, _urban_context(words, brk, cap, mentions, g) if shared else ""


#: Words that are not a name of their own beside "area"/"منطقه" ("the area of", "منطقه در").
_NOT_A_NAME = _norm_set({"در", "از", "این", "آن", "به", "با", "که", "را", "و", "ولسوالی", "ولایت", "شهر", "مربوطات"})


def _urban_context(words: list[str], brk: list[bool], cap: list[bool], mentions: list[_Mention], g: Gazetteer) -> str:
    """The phrase of ``afg_place_context.csv`` that puts the text in a city (the first in the text), or ``""``.

    Words inside a province, district or town name do not count (``بازار`` in a town's name).
    A ``city_named`` phrase counts only with a name of its own beside it: a capitalised word
    before it in English ("the Hud Khel area"), a word after it in Dari/Pashto ("منطقه لبجر");
    a province's or capital's own name is not such a name ("the Kabul area").
    """
    covered = [False] * len(words)
    province_words = [False] * len(words)
    for m in mentions:
        if any(not _is_village(e) for e in m.entries):
            for k in range(m.start, m.end):
                covered[k] = True
                province_words[k] = province_words[k] or any(e.kind == "province" for e in m.entries)
    for i in range(len(words)):
        if covered[i]:
            continue
        for phrase in g.urban_phrases_at(words, i):
            size = len(phrase.words)
            if any(covered[i : i + size]):
                continue
            if phrase.reads == CONTEXT_CITY:
                return phrase.phrase
            if _is_ar(words[i]):
                k = i + size
                ok = k < len(words) and not brk[k] and words[k] not in _NOT_A_NAME
            else:
                k = i - 1
                ok = k >= 0 and not brk[i] and cap[k] and words[k] not in _NOT_FUZZY and not words[k].isdigit()
            if ok and not province_words[k]:
                return phrase.phrase
    return ""


def _is_village(e: Entry) -> bool:
    """An IEC village or city neighbourhood: no point, and too many share a name to decide alone."""
    return e.kind == "place" and e.source.startswith("IEC 2019")


#: Words a "province" segment may carry besides the name: "Kunar province", "ولایت بغلان".
_TAIL_WORDS = {"province", "provinces", "afghanistan"} | _AR_PROVINCE | _norm_set({"افغانستان"})
#: Words a "district" slot may carry besides the name: "Jaji district", "ولسوالی شیرزاد".
_SLOT_WORDS = _DISTRICT_WORDS | _AR_DISTRICT | {"the"}
#: Words after which the end of a longer segment is a district's name: "Murad Bik village of Shakardar".
_SLOT_BEFORE = {"of", "in"} | _norm_set({"در", "از"})


@dataclass(frozen=True)
class _Hierarchy:
    """A text that ends with a province ("Village, District, Province", "X, Y (Z province)").

    ``provinces``: what the last segment names; ``tail``: its name's token span;
    ``slot``: the segment before it, and ``name``: that segment without marker words.
    """

    provinces: frozenset[str]
    tail: tuple[int, int]
    slot: tuple[int, int]
    name: tuple[int, int]

    def marker_for(self, s: int, e: int, entries: tuple[Entry, ...]) -> str | None:
        """The marker the structure gives the name at ``words[s:e]`` (None when it gives none)."""
        if (s, e) == self.tail and any(x.kind == "province" for x in entries):
            return "tail"
        if (s, e) == self.name and any(x.kind == "district" and x.adm1_pcode in self.provinces for x in entries):
            return "district"  # weak names too: "Gardi, Sherzad, Nangarhar", "Alikhel, Jaji, Paktia"
        return None


def _segments(words: list[str], brk: list[bool]) -> list[tuple[int, int]]:
    starts = [i for i in range(len(words)) if i == 0 or brk[i]]
    return list(zip(starts, [*starts[1:], len(words)], strict=True))


def _trim(words: list[str], s: int, e: int, drop: set[str]) -> tuple[int, int]:
    while s < e and words[s] in drop:
        s += 1
    while e > s and words[e - 1] in drop:
        e -= 1
    return s, e


def _hierarchy(words: list[str], brk: list[bool], g: Gazetteer) -> _Hierarchy | None:
    """Read "X, Y, Z" when the last segment is a province: the segment before it is Y's district slot."""
    segs = [(s, e) for s, e in _segments(words, brk) if any(w not in _TAIL_WORDS for w in words[s:e])]
    if len(segs) < 2:
        return None
    ts, te = _trim(words, *segs[-1], _TAIL_WORDS)
    if not 0 < te - ts <= 3:
        return None
    codes = frozenset(x.adm1_pcode for x in g.lookup(key_from_tokens(words[ts:te])) if x.kind == "province")
    if not codes:
        return None
    slot = segs[-2]
    return _Hierarchy(codes, (ts, te), slot, _trim(words, *slot, _SLOT_WORDS | _DROP_TOKENS))


def _fill_district_slot(
    tree: _Hierarchy, words: list[str], cap: list[bool], mentions: list[_Mention], g: Gazetteer
) -> list[_Mention]:
    """A district slot with no district of the province in it: try a close spelling within the province.

    "Sangar, Trinkot, Uruzgan" (Tirinkot), "Murad Bik village of Shakardar (Kabul province)"
    (Shakar Dara). Only the whole slot (up to three words) or the last one or two words after
    "of"/"in" are tried, and only a unit of the province named that is the single closest fit.
    """
    s0, e0 = tree.slot
    inside = [m for m in mentions if s0 <= m.start < e0]
    if any(x.kind == "district" and x.adm1_pcode in tree.provinces for m in inside for x in m.entries):
        return mentions
    ns, ne = tree.name
    spans = [(ns, ne)] if 0 < ne - ns <= 3 else []
    spans += [(ne - L, ne) for L in (2, 1) if ne - L > ns and words[ne - L - 1] in _SLOT_BEFORE]
    for s, e in spans:
        span = words[s:e]
        if any(x in _NOT_FUZZY or len(x) < 3 for x in span) or not all(cap[s:e]):
            continue
        found = _closest_within(key_from_tokens(span), set(tree.provinces), g)
        if found:
            how = "close spelling in the province named"
            keep = [m for m in mentions if m.end <= s or m.start >= e]
            return [*keep, _Mention(s, e, " ".join(span), found, "district", fuzzy=True, how=how)]
    return mentions


#: Words a village segment may carry besides its name: "Rabat village", "the Kohsar area", "روستای X".
_VILLAGE_WORDS = {"village", "villages", "area", "valley", "the", "of"} | _norm_set({"روستای", "قریه", "منطقه", "دره"})


def _names_inside_villages(tree: _Hierarchy, words: list[str], brk: list[bool], mentions: list[_Mention]) -> None:
    """A district name inside a longer village name before the district slot is context, not the district.

    "Nawa Mesh Bazaar, Nawamish, Helmand": "Nawa" (Nawa-e-Barakzaiy's short form) is part of the
    village's name; the district is the one in the slot, even when the slot's spelling is unknown
    (then the answer is the province). A village segment that is a district's whole name
    ("Sangin, Sangin, Helmand") is read as before.
    """
    for m in mentions:
        if m.end > tree.slot[0] or m.marker is not None or not any(e.kind == "district" for e in m.entries):
            continue
        seg = next((s, e) for s, e in _segments(words, brk) if s <= m.start < e)
        name = _trim(words, *seg, _VILLAGE_WORDS | _DROP_TOKENS)
        if name != (m.start, m.end) and name[0] <= m.start and m.end <= name[1]:
            m.in_village = " ".join(words[name[0] : name[1]])


def _neighbour_token(words: list[str], k: int, step: int) -> str:
    while 0 <= k < len(words) and words[k] in _DROP_TOKENS:
        k += step
    return words[k] if 0 <= k < len(words) else ""


def _adjacent(words: list[str], a: _Mention, b: _Mention, brk: list[bool] | None = None) -> bool:
    if brk is not None and b.start < len(brk) and brk[b.start]:
        return False  # "Main Road, Ghoryan": a comma ends the road's name
    return all(w in _DROP_TOKENS for w in words[a.end : b.start])


#: Words between a road's end and the road word: "Herat-Islam Qala Main Road", "the old Kabul-Bagram road".
_ROAD_ADJECTIVES = {"main", "old", "new", "ring", "national", "provincial", "asphalt", "paved", "dirt"}


def _mark_roads(mentions: list[_Mention], words: list[str], brk: list[bool]) -> None:
    """Names that are ends of a named road ("Herat-Islam Qala Main Road", "شاهراه کابل-قندهار"): context only."""
    for m in mentions:
        before = "" if brk[m.start] else _neighbour_token(words, m.start - 1, -1)  # "Main Road, Ghoryan"
        k = m.end
        while k < len(words) and words[k] in _ROAD_ADJECTIVES and not brk[k]:
            k += 1
        after = "" if k < len(words) and brk[k] else _neighbour_token(words, k, 1)
        if after in _ROAD_WORDS or before in _ROAD_WORDS or before in _BETWEEN:
            m.road = True
    for _ in range(2):  # "Kabul-Jalalabad highway": both ends
        for a, b in zip(mentions, mentions[1:], strict=False):
            if _adjacent(words, a, b, brk) and (a.road or b.road):
                a.road = b.road = True


#: Words before a destination ("a road leading to the national capital, Kabul", "to and from the capital, Kabul").
_DESTINATION_LEADS = {
    ("leading", "to"), ("heading", "to"), ("headed", "to"), ("travelling", "to"), ("traveling", "to"),
    ("going", "to"), ("bound", "for"), ("route", "to"), ("way", "to"), ("and", "from"), ("towards",), ("toward",),
}  # fmt: skip
#: Words between a destination lead and the name: "to the national capital, Kabul".
_DESTINATION_FILLER = {"the", "national", "afghan", "capital", "city", "of", "provincial", "country", "countrys"}


def _mark_destinations(mentions: list[_Mention], words: list[str]) -> None:
    """A place named as where a road or a journey leads ("a road leading to ... Kabul", "heading to Panjshir"):
    context only, like a road's end, when the text names another place that is not one."""
    dest = []
    for m in mentions:
        k = m.start - 1
        while k >= 0 and (words[k] in _DESTINATION_FILLER or words[k] in (",", ":")):
            k -= 1
        tail = tuple(words[max(0, k - 1) : k + 1])
        if k >= 0 and (tail in _DESTINATION_LEADS or tail[-1:] in _DESTINATION_LEADS):
            dest.append(m)
    if dest and any(not m.road and m not in dest for m in mentions):
        for m in dest:
            m.road = True


_PLURAL_DISTRICTS = {"districts"} | _norm_set({"ولسوالیها", "ولسوالیهای", "ولسوالی‌های", "شهرستانهای", "شهرستانها"})


def _spread_plural_markers(mentions: list[_Mention], words: list[str]) -> None:
    """ "Shutul and Paryan districts", "ولسوالی‌های ورسج و فرخار": every listed name is a district."""
    for k, m in enumerate(mentions):
        before = words[m.start - 1] if m.start >= 1 else ""
        before2 = words[m.start - 2] if m.start >= 2 else ""
        if m.marker == "district_of" and before == "of" and before2 == "districts":
            # "the districts of Khenj and Anaba": a list of districts follows.
            m.marker = "district"
            before = "districts"
        if m.marker != "district":
            continue
        after = words[m.end] if m.end < len(words) else ""
        if after in _PLURAL_DISTRICTS:
            j = k
            while j > 0 and _adjacent(words, mentions[j - 1], mentions[j]) and mentions[j - 1].marker is None:
                mentions[j - 1].marker = "district"
                j -= 1
        if before in _PLURAL_DISTRICTS or (before in _PLURAL and before2 in _AR_DISTRICT):
            j = k
            while (
                j + 1 < len(mentions)
                and _adjacent(words, mentions[j], mentions[j + 1])
                and mentions[j + 1].marker is None
            ):
                mentions[j + 1].marker = "district"
                j += 1


_FUZZY: list = []


def _fuzzy_tables(g: Gazetteer) -> tuple[dict, dict, dict]:
    """Pools (kind -> key -> entries), skeleton -> keys and word -> district P-codes, once per gazetteer."""
    if not _FUZZY or _FUZZY[0] is not g:
        pools: dict[str, dict[str, list[Entry]]] = {"district": {}, "province": {}}
        for kind, keys in (("district", g.district_keys), ("province", g.province_keys)):
            for k in keys:
                pools[kind][k] = [e for e in g.lookup(k) if e.kind == kind]
        skel: dict[tuple[str, str], set[str]] = {}
        for kind, keys in (("district", g.district_keys), ("province", g.province_keys)):
            for k in keys:
                skel.setdefault((kind, skeleton(k)), set()).add(k)
        words: dict[str, set[str]] = {}
        for d, u in g.districts.items():
            toks = [t for t in tokens(u.name) if key_from_tokens([t])]
            if len(toks) > 1:
                for t in toks:
                    k = key_from_tokens([t])
                    if len(k) >= 4 and k not in g.weak_keys:
                        words.setdefault(k, set()).add(d)
        _FUZZY[:] = [g, pools, skel, words]
    return _FUZZY[1], _FUZZY[2], _FUZZY[3]


#: rapidfuzz ``fuzz.ratio`` (0-100, the share of letters two keys have in common) a spelling
#: must reach to be read as a unit's name: nationwide beside a marker, and inside the province a
#: text names (fewer units, so a looser bar). Candidates within :data:`_TIE` of the best are ties.
_FUZZY_NATIONWIDE, _FUZZY_IN_PROVINCE, _TIE = 88.0, 84.0, 2.0


def _best_units(key: str, pool: dict[str, list[Entry]], cutoff: float) -> tuple[tuple[Entry, ...], float]:
    """Entries of the keys in ``pool`` closest to ``key`` (ties kept) and the best score, or ((), 0)."""
    hits = rf_process.extract(key, list(pool), scorer=rf_fuzz.ratio, limit=6, score_cutoff=cutoff)
    if not hits:
        return (), 0.0
    best = hits[0][1]
    return tuple(e for k, score, _ in hits if score >= best - _TIE for e in pool[k]), best


def _closest(key: str, kind: str, g: Gazetteer) -> tuple[tuple[Entry, ...], str] | None:
    """Entries of the one unit of ``kind`` whose name is closest to ``key``, or None.

    Tried in order, each accepted only when it points to a single unit: a Dari/Pashto
    ending variant, a close spelling (rapidfuzz ratio >= :data:`_FUZZY_NATIONWIDE` over
    the transliteration-folded keys), the same consonant skeleton, and (districts) one
    distinctive word of a longer name ("Archi" for Dasht-e-Archi).
    """
    if len(key) < 4:
        return None

    def of(keys) -> tuple[Entry, ...]:
        return tuple(x for k in keys for x in g.lookup(k) if x.kind == kind)

    def units(es) -> set[str]:
        return {x.adm2_pcode or x.adm1_pcode for x in es}

    pools, skel, words = _fuzzy_tables(g)
    pool = pools[kind]
    if _ARABIC_LETTER.match(key) and len(key) >= 5:
        # Dari/Pashto endings vary (خوگیانی / خوگیانو): compare stems without the last letter.
        stem = [k for k in pool if len(k) >= 5 and (k[:-1] == key[:-1] or k == key[:-1] or k[:-1] == key)]
        es = of(stem)
        if len(units(es)) == 1:
            return es, "close spelling"
    if len(key) >= 6:
        es, _ = _best_units(key, pool, _FUZZY_NATIONWIDE)
        if es:
            return (es, "close spelling") if len(units(es)) == 1 else None
    if not _ARABIC_LETTER.match(key) and len(skeleton(key)) >= 4:
        es = of(skel.get((kind, skeleton(key)), ()))
        if len(units(es)) == 1:
            return es, "same consonants"
    if kind == "district" and key in words and len(words[key]) == 1:
        d = next(iter(words[key]))
        es = tuple(x for x in g.lookup(name_key(g.districts[d].name)) if x.adm2_pcode == d and x.kind == "district")
        if es:
            return es, "part of the name"
    return None


def _closest_within(key: str, provinces: set[str], g: Gazetteer) -> tuple[Entry, ...]:
    """District entries of ``provinces`` whose name is closest to ``key`` (one unit only).

    A close spelling (rapidfuzz ratio >= :data:`_FUZZY_IN_PROVINCE`) or the same
    consonant skeleton ("Trinkot" = Tirinkot), among the districts of the provinces
    the text names: a few dozen names, so a looser bar than nationwide.
    """
    if len(key) < 4 or not provinces:
        return ()
    pool: dict[str, list[Entry]] = {}
    for k in _fuzzy_tables(g)[0]["district"]:
        for e in g.lookup(k):
            if e.kind == "district" and e.adm1_pcode in provinces:
                pool.setdefault(k, []).append(e)
    es: tuple[Entry, ...] = ()
    if len(key) >= 5:
        es, _ = _best_units(key, pool, _FUZZY_IN_PROVINCE)
    if not es and not _ARABIC_LETTER.match(key) and len(skeleton(key)) >= 4:
        es = tuple(e for k, v in pool.items() if skeleton(k) == skeleton(key) for e in v)
    return es if len({e.adm2_pcode for e in es}) == 1 else ()


def _fuzzy(words: list[str], taken: list[bool], g: Gazetteer) -> list[_Mention]:
    """Spellings the gazetteer lacks, only right beside a district/province marker."""
    out: list[_Mention] = []
    n = len(words)
    for i, t in enumerate(words):
        if t in ("district", "province") or t in _AR_DISTRICT or t in _AR_PROVINCE:
            kind = "district" if (t == "district" or t in _AR_DISTRICT) else "province"
        else:
            continue
        if _is_ar(t):
            spans = [(i + 1, i + 1 + L) for L in (3, 2, 1)]
            if t in ("ولسوالی", "ولایت"):
                spans += [(i - L, i) for L in (2, 1)]
        else:
            spans = [(i - L, i) for L in (3, 2, 1)]
        for s, e in spans:
            if s < 0 or e > n or any(taken[s:e]):
                continue
            span = words[s:e]
            if any(_is_ar(x) != _is_ar(t) for x in span) or any(x in _NOT_FUZZY or len(x) < 3 for x in span):
                continue
            found = _closest(key_from_tokens(span), kind, g)
            if found is None:
                continue
            out.append(_Mention(s, e, " ".join(span), found[0], kind, fuzzy=True, how=found[1]))
            for k in range(s, e):
                taken[k] = True
            break
    return out


# --- resolution --------------------------------------------------------------------------

# Tiers of district evidence: lower is stronger. ``_T_CONTEXT``: a bare capital read as the city
# because of the words around it ("a mosque in Herat"): any district or town named beats it.
_T_PD, _T_DISTRICT, _T_CITY, _T_NAME, _T_PLACE, _T_CONTEXT, _T_VILLAGE = 0, 1, 2, 3, 4, 5, 6


@dataclass
class _Reading:
    """How one mention was read: a province, or district candidates at a tier."""

    mention: _Mention
    provinces: set[str]
    districts: dict[str, Entry]  # adm2 -> best entry (a place entry if a town matched)
    tier: int
    why: str
    strong: bool
    detail: str = ""  # what made it so, for the note (the context phrase of a "context" reading)


def _read_mention(m: _Mention, g: Gazetteer) -> _Reading:
    """How one mention reads, from its marker and the kinds of entry its name has.

    An IEC village or neighbourhood alone is read as ``village`` (context for the
    stages, never an answer by itself); beside a district, town or province name of
    the same spelling it is ignored.
    """
    prov = [e for e in m.entries if e.kind == "province"]
    dist = [e for e in m.entries if e.kind == "district"]
    place = [e for e in m.entries if e.kind == "place" and not _is_village(e)]
    if not (prov or dist or place):
        out: dict[str, Entry] = {}
        for e in m.entries:
            out.setdefault(e.adm2_pcode, e)
        return _Reading(m, set(), out, _T_VILLAGE, "village", m.marker is not None)

    def ddict(es: list[Entry]) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for e in es:
            cur = out.get(e.adm2_pcode)
            if cur is None or (cur.kind == "district" and e.kind == "place"):
                out[e.adm2_pcode] = e
        return out

    if m.marker == "district_of":
        # "X district of Kabul" names the province; "the district of Khinj" the district.
        m.marker = "province" if prov else "district"
    if m.marker == "tail":
        # The province that ends "Village, District, Province": read as named outright.
        return _Reading(m, {e.adm1_pcode for e in prov}, {}, 9, "province", True)
    if m.marker == "province" and prov:
        return _Reading(m, {e.adm1_pcode for e in prov}, {}, 9, "province", True)
    if m.marker == "province" and {e.adm2_pcode for e in dist + place} <= g.same_name_capitals:
        # "ولاية هراة": a spelling known only for the capital town, marked as the province.
        parents = {e.adm1_pcode for e in dist + place}
        if len(parents) == 1:
            return _Reading(m, parents, {}, 9, "province", True)
    if m.marker == "district" and (dist or place):
        es = dist or place
        return _Reading(m, set(), {e.adm2_pcode: e for e in es}, _T_DISTRICT, "district", True)
    if m.marker == "capital" and prov:
        pc = prov[0].adm1_pcode
        if len({e.adm1_pcode for e in prov}) == 1 and pc in g.centre_of:
            d = g.centre_of[pc]
            town = g.towns.get(d)
            e = town if town is not None and town.centre else _district_entry(g, d)
            return _Reading(m, {pc}, {d: e}, _T_CITY, "capital", True)
    if m.marker == "capital":
        m.marker = "city"
    if m.marker == "city":
        centres = [e for e in dist + place if e.centre]
        if prov and not dist and not place:
            pcs = {e.adm1_pcode for e in prov}
            capital = g.centre_of.get(next(iter(pcs))) if len(pcs) == 1 else None
            if capital in g.same_name_capitals:
                # "شهر قندوز": the capital that shares the province's name.
                town = g.towns.get(capital)
                e = town if town is not None and town.centre else _district_entry(g, capital)
                return _Reading(m, set(), {capital: e}, _T_CITY, "city", True)
            # "Kapisa city", "شهر بغلان": no town of that name; which town is meant is not sure.
            return _Reading(m, pcs, {}, 9, "province", True)
        pool = centres or dist or place
        if pool:
            # Prefer the town entry of a district, for its coordinates.
            out = {}
            for e in pool:
                out[e.adm2_pcode] = e
            for d in list(out):
                town = g.towns.get(d)
                if out[d].kind == "district" and town is not None and town.centre:
                    out[d] = town
            return _Reading(m, set(), out, _T_CITY, "city", True)
    if prov:
        return _Reading(m, {e.adm1_pcode for e in prov}, {}, 9, "province", m.marker == "province")
    if m.airport and m.marker is None and (dist or place) and all(e.centre for e in dist + place):
        # "Herat airport" is in Guzara, Mazar's in Marmul, Jalalabad's in Behsud: the province.
        parents = {e.adm1_pcode for e in dist + place}
        if len(parents) == 1:
            return _Reading(m, parents, {}, 9, "province", False)
    capitals = {e.adm2_pcode for e in dist + place}
    hood = any(e.source == "neighbourhood" for e in place)
    renamed = any(e.source == "alias" or "created after 2018" in e.source for e in dist)
    if m.marker is None and not hood and not renamed and len(capitals) == 1 and capitals <= g.same_name_capitals:
        # A bare spelling of a capital that shares its province's name (قندز, Kabulo): the province.
        return _Reading(m, {g.districts[next(iter(capitals))].parent}, {}, 9, "province", False)
    if dist:
        return _Reading(
            m,
            set(),
            ddict(dist + [p for p in place if p.adm2_pcode in {d.adm2_pcode for d in dist}]),
            _T_NAME,
            "name",
            m.marker is not None,
        )
    return _Reading(m, set(), ddict(place), _T_PLACE, "place", m.marker is not None)


def _district_entry(g: Gazetteer, d: str) -> Entry:
    u = g.districts[d]
    return Entry("district", u.parent, d, u.name, u.name, "name", u.lat, u.lon, centre=True)


def _label(g: Gazetteer, code: str) -> str:
    if len(code) == 4:
        return f"{code} {g.provinces[code].name}"
    u = g.districts[code]
    return f"{code} {u.name} ({g.provinces[u.parent].name})"


def _candidates(g: Gazetteer, codes) -> str:
    return "; ".join(_label(g, c) for c in sorted(set(codes)))


def _province_result(g: Gazetteer, pc: str, note: str, candidates: str = "") -> GeocodeResult:
    u = g.provinces[pc]
    return GeocodeResult(pc, u.name, "", "", u.lat, u.lon, PRECISION_PROVINCE, MATCHED, candidates, note)


def _district_result(g: Gazetteer, e: Entry, d: str, note: str, *, place_ok: bool) -> GeocodeResult:
    u = g.districts[d]
    p = g.provinces[u.parent]
    if e.kind == "place" and place_ok and e.has_point:
        return GeocodeResult(u.parent, p.name, d, u.name, e.lat, e.lon, PRECISION_PLACE, MATCHED, "", note)
    return GeocodeResult(u.parent, p.name, d, u.name, u.lat, u.lon, PRECISION_DISTRICT, MATCHED, "", note)


def _describe(r: _Reading, g: Gazetteer, d: str | None = None) -> str:
    m = r.mention
    if d is None:
        names = sorted({g.provinces[p].name for p in r.provinces})
        return f"province '{'/'.join(names)}'"
    e = r.districts[d]
    u = g.districts[d]
    kind = {
        "district": "district",
        "city": "city",
        "name": "district",
        "place": "place",
        "capital": "city",
        "ministry": "city",
        "ward": "city",
        "village": "village",
        "context": "city",
    }[r.why]
    if e.source == "neighbourhood":
        label = f"neighbourhood '{e.name}' of {u.name} city (the city's point)"
    elif _is_village(e):
        label = f"{e.level} '{e.name}' (IEC 2019 list) in district '{u.name}'"
    elif e.kind == "place":
        label = f"town '{e.name}' in district '{u.name}'"
    else:
        label = f"{kind} '{u.name}'"
    if e.source == "alias":
        label += f" (alias '{e.matched}')"
    elif "created after 2018" in e.source:
        label += f" ('{e.matched}', a district created after 2018 inside it)"
    elif e.source.startswith("IEC district spelling"):
        label += f" (IEC spelling '{e.matched}')"
    elif e.source == "short form":
        label += f" (short form '{m.text}')"
    elif m.fuzzy:
        label += f" ({m.how} '{m.text}')"
    if r.why == "ward":
        label += " (a neighbourhood the IEC list places in that numbered district of the city)"
    if r.why == "ministry":
        label += " (a national ministry or 'the capital' marks Kabul city)"
    if r.why == "context":
        label += f" (read as the city: the capital's name with '{r.detail}', an urban place)"
    return f"{label} in province '{g.provinces[u.parent].name}'"


@dataclass
class _Case:
    """Everything the text (and the hints) say, gathered once by :func:`_gather`; the stages read it."""

    g: Gazetteer
    text: str
    readings: list[_Reading]
    villages: list[_Reading]  # IEC villages and neighbourhoods: context that narrows, never decides alone
    pd_num: int | None
    road_prov: set[str]
    road_names: list[str]
    hint_provinces: set[str]
    context: str = ""  # the urban-context phrase of the text (afg_place_context.csv), or ""
    notes: list[str] = field(default_factory=list)  # names read as context only, for the note
    strong_prov: set[str] = field(default_factory=set)  # named with a marker, in the hierarchy's tail, or admin1
    weak_prov: set[str] = field(default_factory=set)  # named in passing
    pd_reading: _Reading | None = None

    @property
    def all_prov(self) -> set[str]:
        return self.strong_prov | self.weak_prov


def _resolve(text: str, admin1: str | None, admin2: str | None) -> GeocodeResult:
    """Settle one place text: gather the evidence, then let each stage answer or pass.

    The stages run in order; the first that returns an answer wins:
    :func:`_stage_police_district`, :func:`_stage_capital_words`, :func:`_stage_city_context`,
    :func:`_stage_districts`, :func:`_stage_provinces`, :func:`_stage_nothing`.
    """
    case = _gather(load_gazetteer(), text, admin1, admin2)
    stages = (_stage_police_district, _stage_capital_words, _stage_city_context, _stage_districts, _stage_provinces)
    for stage in stages:
        answer = stage(case)
        if answer is not None:
            return answer
    return _stage_nothing(case, admin1, admin2)


def _gather(g: Gazetteer, text: str, admin1: str | None, admin2: str | None) -> _Case:
    """Read the text and the hints into a :class:`_Case` (mentions read, roads and villages set apart).

    ``admin1`` names provinces (strong evidence); a bare ``admin2`` is read as "X district".
    """
    mentions, pd_num, context = _scan(text, g) if text else ([], None, "")
    readings, villages = [], []
    for m in mentions:
        if m.road or m.in_village:
            continue
        r = _read_mention(m, g)
        (villages if r.why == "village" else readings).append(r)
    case = _Case(
        g,
        text,
        readings,
        villages,
        pd_num,
        road_prov={e.adm1_pcode for m in mentions if m.road for e in m.entries if not _is_village(e)},
        road_names=[m.text for m in mentions if m.road],
        hint_provinces=set(),
        context=context,
        notes=[f"'{m.text}' read as part of the village name '{m.in_village}'" for m in mentions if m.in_village],
    )
    if admin1:
        found = _scan(admin1, g)[0]
        case.hint_provinces = {e.adm1_pcode for m in found for e in m.entries if e.kind == "province"}
        if not case.hint_provinces:
            case.hint_provinces = {e.adm1_pcode for m in found for e in m.entries if not _is_village(e)}
    if admin2:
        hint_words = _words(admin2)[0]
        if not any(w in _DISTRICT_WORDS or w in _AR_DISTRICT for w in hint_words):
            # A bare curated district name: read it as "X district" (weak names such as "Dara" included).
            admin2 = ("ولسوالی " + admin2) if hint_words and _is_ar(hint_words[0]) else (admin2 + " district")
        for k, m in enumerate(_scan(admin2, g)[0]):
            if k == 0 and m.marker is None:
                m.marker = "district"
            m.hint = True
            r = _read_mention(m, g)
            if r.why != "village":
                case.readings.append(r)
    return case


def _weigh_provinces(case: _Case) -> None:
    """Split the provinces named into strong (marker, hierarchy or admin1) and weak (in passing)."""
    case.strong_prov = set(case.hint_provinces)
    case.weak_prov = set()
    for r in case.readings:
        if r.provinces:
            (case.strong_prov if r.strong else case.weak_prov).update(r.provinces)


def _stage_police_district(case: _Case) -> None:
    """A city police district ("PD-14, Herat City", "ناحیه پانزدهم شهر کابل"): mark the city's reading.

    The city is a city-marked mention, else a mention naming a provincial capital, else a
    neighbourhood the IEC list places in that numbered ward of one city ("the Qalacha
    neighbourhood in PD 8" is Kabul's), else "the capital" (Kabul). Never answers by itself.
    """
    g, pd_num = case.g, case.pd_num
    named = [r for r in case.readings if r.why == "district" and not r.mention.hint]
    if pd_num is None or any(not any(e.centre for e in r.districts.values()) for r in named):
        return None  # "Nahia 1, Khan Abad, Kunduz": the district named beats a ward number
    cities = [r for r in case.readings if r.why == "city"]
    if not cities:
        for r in case.readings:
            cands = [e for e in r.mention.entries if (e.kind in ("district", "place") and e.centre)]
            ds = {e.adm2_pcode for e in cands}
            if len(ds) == 1:
                d = ds.pop()
                town = g.towns.get(d)
                entry = town if town and town.centre else cands[0]
                cities.append(_Reading(r.mention, set(), {d: entry}, _T_PD, "city", True))
    if not cities:
        for r in case.villages:
            wards = g.city_wards.get(key_from_tokens(r.mention.text.split()), {})
            ds = [d for d, w in wards.items() if pd_num in w]
            if len(ds) == 1 and ds[0] in g.towns:
                cities.append(_Reading(r.mention, set(), {ds[0]: g.towns[ds[0]]}, _T_PD, "ward", True))
    if not cities and _says_the_capital(case.text):  # "the 13th district of the capital"
        d = g.centre_of["AF01"]
        cities.append(_Reading(_Mention(0, 0, "the capital", ()), set(), {d: g.towns[d]}, _T_PD, "city", True))
    if cities:
        case.pd_reading = cities[0]
        case.pd_reading.tier = _T_PD
        case.readings = [r for r in case.readings if r.mention is not case.pd_reading.mention] + [case.pd_reading]
    return None


def _stage_capital_words(case: _Case) -> GeocodeResult | None:
    """A national ministry or "the capital": Kabul city.

    Either marks a bare "Kabul" as the city; named as the place itself, with nothing
    else named, it is Kabul city ("outside the Ministry of Refugees", "در پایتخت").
    """
    g, text = case.g, case.text
    kabul_city = g.centre_of["AF01"]
    if text and (_names_a_ministry(text, located=False) or _says_the_capital(text)):
        for k, r in enumerate(case.readings):
            if r.provinces == {"AF01"} and (not r.strong or r.mention.marker == "tail") and not r.districts:
                case.readings[k] = _Reading(
                    r.mention, set(), {kabul_city: g.towns[kabul_city]}, _T_CITY, "ministry", True
                )
    _weigh_provinces(case)
    if text and not case.readings and case.pd_reading is None and not case.road_prov and not case.hint_provinces:
        if _names_a_ministry(text):
            note = "a national ministry, with no other place named: Kabul city"
            return _district_result(g, g.towns[kabul_city], kabul_city, note, place_ok=True)
        if _says_the_capital(text, located=True):
            note = "'the capital' with no other place named: Kabul city"
            return _district_result(g, g.towns[kabul_city], kabul_city, note, place_ok=True)
    return None


def _stage_city_context(case: _Case) -> None:
    """A bare capital that shares its province's name, in an urban context: read it as the city.

    "a mosque in Herat", "a passenger bus in Kabul", "the Hud Khel area of Kabul",
    "منطقه گولایی بندر خان‌آباد قندوز": the phrase (``afg_place_context.csv``) makes the capital's
    name the city (its district, precision 2), not the province. A bare "Herat" or "Kunduz",
    "Herat province", "near Kabul" and an airport stay as they are, and so does a capital
    whose province also holds a specific village named in the text outside the city.
    Never answers by itself: the reading joins the others at the weakest district tier, so
    any district or town named beats it.
    """
    if not case.context:
        return None
    g = case.g
    changed = False
    for k, r in enumerate(case.readings):
        m = r.mention
        if r.districts or len(r.provinces) != 1 or m.hint or m.near or m.airport or m.marker not in (None, "tail"):
            continue
        pc = next(iter(r.provinces))
        capital = g.centre_of.get(pc)
        if capital not in g.same_name_capitals:
            continue  # "a mosque in Takhar": the province's name is not its capital's (Taloqan)
        if _village_outside(case, pc, capital):
            continue
        entry = _district_entry(g, capital)
        # The province stays named (it still constrains the other names), its capital is the candidate.
        case.readings[k] = _Reading(
            m, set(r.provinces), {capital: entry}, _T_CONTEXT, "context", r.strong, case.context
        )
        changed = True
    if changed:
        _weigh_provinces(case)
    return None


def _village_outside(case: _Case, pc: str, capital: str) -> bool:
    """Whether a specific village named lies in province ``pc`` but not in its capital district."""
    for r in case.villages + [r for r in case.readings if r.why == "place"]:
        if len(r.districts) > _VILLAGE_MAX_DISTRICTS:
            continue
        inside = {d for d in r.districts if case.g.districts[d].parent == pc}
        if inside and capital not in inside:
            return True
    return False


def _stage_districts(case: _Case) -> GeocodeResult | None:
    """The strongest district evidence, checked against the provinces named.

    Settles "Shotul district in Panjshir", "Sangar, Trinkot, Uruzgan", "PD-14, Herat City",
    "Fayzabad, Badakhshan". Passes when no mention names a district or town.
    """
    g = case.g
    _apply_qualifiers(case)
    dist_readings = [r for r in case.readings if r.districts]
    if not dist_readings:
        return None
    best_tier = min(r.tier for r in dist_readings)
    top = [r for r in dist_readings if r.tier == best_tier]
    cands_all = _top_candidates(top)
    cands, conflict = _filter_by_provinces(case, top, cands_all, best_tier)
    if conflict:
        return _conflict_answer(case, top, cands_all, conflict, best_tier)
    cands = _narrow_candidates(case, dist_readings, cands, best_tier)
    provs = {g.districts[d].parent for d in cands}
    if len(provs) > 1:
        return GeocodeResult(
            geocode_status=AMBIGUOUS,
            geocode_candidates=_candidates(g, cands),
            geocode_note=f"'{top[0].mention.text}' names places in {len(provs)} provinces and nothing in the text "
            "settles which",
        )
    pc = next(iter(provs))
    ignored, contradiction = _other_mentions(case, dist_readings, top, cands, pc)
    if contradiction is not None:
        return contradiction
    extra = _extra_note(case, pc, ignored)
    if len(cands) == 1:
        d, (e, r) = next(iter(cands.items()))
        return _one_district(case, d, e, r, extra)
    names = ", ".join(g.districts[d].name for d in sorted(cands))
    return _province_result(
        g,
        pc,
        f"province '{g.provinces[pc].name}': several districts fit ({names}), none preferred" + extra,
        _candidates(g, cands),
    )


def _apply_qualifiers(case: _Case) -> None:
    """A name that is a word of one candidate's longer name qualifies it, and is not a place of its own.

    "Hesa Awal district of Kohistan": "Hesa Awal" is Hisa-e-Awal-e-Kohistan (Kapisa) or Khenj
    (Panjsher, alternative name Hisa-e-Awal); "Kohistan" is a word of only the first one's name,
    so it settles the choice and is not read as Kohistan district (Badakhshan or Faryab).
    """
    g = case.g
    if sum(1 for r in case.readings if r.districts) < 2 or not any(len(r.districts) > 1 for r in case.readings):
        return
    word_units = _fuzzy_tables(g)[2]  # a word of a multi-word district name -> the districts with it
    for q in list(case.readings):
        holders = word_units.get(key_from_tokens(q.mention.text.split()), set())
        if not q.districts or q.mention.hint or not holders:
            continue
        for r in case.readings:
            if r is q or len(r.districts) < 2:
                continue
            kept = {d: e for d, e in r.districts.items() if d in holders and d not in q.districts}
            if len(kept) == 1:
                d = next(iter(kept))
                r.districts = kept
                case.readings.remove(q)
                case.notes.append(f"'{q.mention.text}' read as part of the name '{g.districts[d].name}'")
                break


def _top_candidates(top: list[_Reading]) -> dict[str, tuple[Entry, _Reading]]:
    """District -> (entry, reading) of the strongest readings (a town entry preferred, for its point)."""
    out: dict[str, tuple[Entry, _Reading]] = {}
    for r in top:
        for d, e in r.districts.items():
            cur = out.get(d)
            if cur is None or (cur[0].kind == "district" and e.kind == "place"):
                out[d] = (e, r)
    return out


def _filter_by_provinces(case: _Case, top, cands_all, best_tier) -> tuple[dict, set[str] | None]:
    """Keep the candidates in the provinces named; return them and the provinces they contradict, if any.

    A province named outright (marker, the end of "X, Y, Z", admin1) must contain the
    district; a province named in passing only filters same-named districts. Before
    giving up, a close spelling of a district of the province named is tried
    (شینواری / Shinwar). Only a police district outranks a province named in passing.
    """
    g = case.g
    cands, conflict = cands_all, None
    if case.strong_prov:
        cands = {d: v for d, v in cands_all.items() if g.districts[d].parent in case.strong_prov}
        conflict = case.strong_prov if not cands else None
    elif case.weak_prov:
        filtered = {d: v for d, v in cands_all.items() if g.districts[d].parent in case.weak_prov}
        if filtered:
            cands = filtered
        elif best_tier != _T_PD:
            conflict = case.weak_prov
    if conflict:
        near_hits: dict[str, tuple[Entry, _Reading]] = {}
        for r in top:
            for e in _closest_within(key_from_tokens(r.mention.text.split()), conflict, g):
                near_hits[e.adm2_pcode] = (e, _Reading(r.mention, set(), {e.adm2_pcode: e}, r.tier, r.why, r.strong))
        if len(near_hits) == 1:
            r = next(iter(near_hits.values()))[1]
            r.mention.fuzzy, r.mention.how = True, "close spelling"
            return near_hits, None
    return cands, conflict


def _conflict_answer(case: _Case, top, cands_all, conflict: set[str], best_tier: int) -> GeocodeResult:
    """The district named is in none of the provinces named.

    One province named outright and a district-marked name that is no provincial capital
    ("Kohistan district of Kapisa"): the province stands, no district is chosen. Otherwise
    (a city named against a province: "Jalalabad, Kabul province") ``ambiguous``.
    """
    g = case.g
    if (
        len(conflict) == 1
        and conflict <= case.strong_prov
        and best_tier == _T_DISTRICT
        and not any(e.centre for e, _ in cands_all.values())
    ):
        pc = next(iter(conflict))
        return _province_result(
            g,
            pc,
            f"province '{g.provinces[pc].name}' as named; the district named ('{top[0].mention.text}') is not "
            "one of its districts, so no district is chosen",
            _candidates(g, set(cands_all)),
        )
    return GeocodeResult(
        geocode_status=AMBIGUOUS,
        geocode_candidates=_candidates(g, set(cands_all) | conflict),
        geocode_note=f"the district named ('{top[0].mention.text}') is not in the province named "
        f"({', '.join(sorted(g.provinces[p].name for p in conflict))})",
    )


def _narrow_candidates(case: _Case, dist_readings, cands: dict, best_tier: int) -> dict:
    """Same name in several places: a town, a road's ends, an exact name or a village may settle it."""
    g = case.g

    def parents(c) -> set[str]:
        return {g.districts[d].parent for d in c}

    if len(parents(cands)) > 1:
        lower = {d for r in dist_readings if r.tier > best_tier for d in r.districts}
        narrowed = {d: v for d, v in cands.items() if d in lower}
        if len(narrowed) == 1:
            cands = narrowed
    if len(parents(cands)) > 1 and case.road_prov:
        # "... Kabul-Jalalabad highway in Surobi district": the road's ends settle the province.
        narrowed = {d: v for d, v in cands.items() if g.districts[d].parent in case.road_prov}
        if len(parents(narrowed)) == 1:
            cands = narrowed
    if len(parents(cands)) == 1 and len(cands) > 1:
        # In one province, an exact name beats a short form (Kushk vs Kushk-e-Kuhna).
        exact = {d: v for d, v in cands.items() if v[0].source != "short form"}
        if len(exact) == 1:
            cands = exact
    if len(cands) > 1:
        d = _village_district(case, set(cands))
        if d is not None:
            cands = {d: cands[d]}
    return cands


#: A village name listed in more districts than this is too common to settle anything.
_VILLAGE_MAX_DISTRICTS = 3


def _village_district(case: _Case, allowed: set[str]) -> str | None:
    """The one district of ``allowed`` that a village or neighbourhood named in the text lies in, else None.

    Only specific names count (listed in at most :data:`_VILLAGE_MAX_DISTRICTS` districts
    nationwide), and all the villages named must agree.
    """
    found: set[str] = set()
    for r in case.villages + [r for r in case.readings if r.why == "place"]:
        if len(r.districts) > _VILLAGE_MAX_DISTRICTS:
            continue
        found |= set(r.districts) & allowed
    return found.pop() if len(found) == 1 else None


def _other_mentions(case: _Case, dist_readings, top, cands, pc: str) -> tuple[list[str], GeocodeResult | None]:
    """Other district-level mentions: ignored (noted) when weaker, or ``ambiguous`` when they contradict.

    A town met in the text (GeoNames names are often common words) yields to a marked
    district; an unmarked name yields to a district marked inside a province named
    outright ("Sayed Abad area of Dand district in Kandahar province"); a curated admin2
    outranks a name in the free text.
    """
    g = case.g
    ignored = []
    marked_in_named = any(r.strong for r in top) and pc in case.strong_prov
    for r in dist_readings:
        if r in top:
            continue
        parents = {g.districts[d].parent for d in r.districts}
        top_strong = any(t.strong or t.tier <= _T_CITY for t in top)
        if pc in parents or parents & case.strong_prov:
            continue
        if (r.tier == _T_PLACE and top_strong) or (marked_in_named and not r.strong):
            ignored.append(r.mention.text)
            continue
        if any(t.mention.hint for t in top):
            ignored.append(r.mention.text)
            continue
        return ignored, GeocodeResult(
            geocode_status=AMBIGUOUS,
            geocode_candidates=_candidates(g, set(cands) | set(r.districts)),
            geocode_note=f"'{top[0].mention.text}' and '{r.mention.text}' point to different provinces",
        )
    return ignored, None


def _extra_note(case: _Case, pc: str, ignored: list[str]) -> str:
    g = case.g
    extra = ""
    others = sorted(case.weak_prov - {pc})
    if others:
        extra = "; also named: " + ", ".join(g.provinces[p].name for p in others)
    if case.road_names:
        extra += "; road ends or destinations named: " + ", ".join(case.road_names)
    if ignored:
        extra += "; ignored: " + ", ".join(repr(t) for t in ignored)
    for note in case.notes:
        extra += "; " + note
    return extra


def _one_district(case: _Case, d: str, e: Entry, r: _Reading, extra: str) -> GeocodeResult:
    """The answer for one district: a police district, a near/outskirts reading, a town or the district."""
    g = case.g
    desc = _describe(r, g, d)
    if r.tier == _T_PD:
        town = g.towns.get(d)
        note = f"police district {case.pd_num} of {g.districts[d].name} city: {desc}"
        if r.mention.text == "the capital":
            note = f"police district {case.pd_num} of the capital, Kabul city"
        return _district_result(g, town if town is not None else e, d, note + extra, place_ok=True)
    place_ok = r.tier in (_T_CITY, _T_NAME, _T_PLACE) and e.kind == "place" and not r.mention.near
    place_ok = place_ok and not r.mention.airport
    if r.mention.near:
        # "outskirts of Charikar city": the city's district, at district precision (not the city's point).
        desc += " (the text places it near or on the outskirts: district precision)"
    return _district_result(g, e, d, desc + extra, place_ok=place_ok)


def _stage_provinces(case: _Case) -> GeocodeResult | None:
    """No district evidence: provinces only ("Takhar", "Helmand province", "Kunduz").

    One province → a province-level match, unless a specific village or neighbourhood named
    lies in one of its districts ("Khoshal Khan Mina, Kabul" → Kabul city's district).
    Several → ``ambiguous``. A police district without a city, or only a road's ends: not guessed.
    """
    g = case.g
    strong, all_prov = case.strong_prov, case.all_prov
    if case.pd_num is not None and not all_prov:
        return GeocodeResult(geocode_note=f"police district {case.pd_num} named without a city")
    if not case.readings and case.road_prov and not case.hint_provinces:
        return GeocodeResult(
            geocode_status=AMBIGUOUS,
            geocode_candidates=_candidates(g, case.road_prov),
            geocode_note=f"only the ends of a named road ({', '.join(case.road_names)}); the road crosses other "
            "provinces",
        )
    if len(all_prov) > 1 and len(strong) != 1:
        return GeocodeResult(
            geocode_status=AMBIGUOUS,
            geocode_candidates=_candidates(g, all_prov),
            geocode_note=f"{len(all_prov)} provinces named and no district settles which",
        )
    if not all_prov:
        return None
    pc = next(iter(strong)) if len(strong) == 1 else next(iter(all_prov))
    if case.pd_num is not None:
        part = _numbered_part(g, pc, case.pd_num)
        if part is not None:
            u = g.districts[part]
            note = (
                f"district '{u.name}' in province '{g.provinces[pc].name}' (a numbered district ({case.pd_num}) of a "
                f"province without police districts: its Dari name '{u.name_da}' means 'part {case.pd_num}')"
            )
            return _district_result(g, _district_entry(g, part), part, note, place_ok=False)
    d = _village_district(case, {x for x, u in g.districts.items() if u.parent == pc})
    if d is not None:
        r = next(v for v in case.villages + case.readings if d in v.districts)
        note = _describe(r, g, d) + " (a village or neighbourhood of that name lies in this district of the province)"
        return _district_result(g, r.districts[d], d, note, place_ok=False)
    return _province_answer(case, pc)


#: "حصه" (part), the word of the numbered districts' Dari names: حصه اول کوهستان, خنج (حصه اول).
_HISSA = normalize_text("حصه")


def _numbered_part(g: Gazetteer, pc: str, number: int) -> str | None:
    """The one district of province ``pc`` whose Dari name says "part ``number``" (حصه اول = 1), else None.

    "the first district of Kapisa province" is Hisa-e-Awal-e-Kohistan (حصه اول کوهستان);
    "the first district" of Panjsher is Khenj (خنج (حصه اول)).
    """
    found = []
    for d, u in g.districts.items():
        if u.parent != pc:
            continue
        words = tokens(u.name_da)
        for i, w in enumerate(words[:-1]):
            if w == _HISSA and _ordinal(words, i + 1)[0] == number:
                found.append(d)
                break
    return found[0] if len(found) == 1 else None


def _province_answer(case: _Case, pc: str) -> GeocodeResult:
    g = case.g
    r = next((r for r in case.readings if pc in r.provinces), None)
    note = f"province '{g.provinces[pc].name}'"
    if r is not None:
        shared = [
            e
            for e in r.mention.entries
            if e.adm1_pcode == pc
            and (e.kind == "district" or (e.kind == "place" and e.adm2_pcode in g.same_name_capitals))
        ]
        if r.mention.airport:
            note += "; an airport named for the city may lie outside the city's district"
        elif shared:
            note += (
                f"; the district '{g.districts[shared[0].adm2_pcode].name}' shares the name, not chosen "
                "without 'city' or a district marker"
            )
        elif not any(e.kind == "province" and e.source in ("name", "Dari name") for e in r.mention.entries):
            note += f" (as '{r.mention.text}')"
    else:
        note += " (from the admin1 hint)"
    if case.pd_num is not None:
        note += f"; a numbered district ({case.pd_num}) is named but no city with police districts was recognised"
    others = sorted(case.weak_prov - {pc})
    if others:
        note += "; also named: " + ", ".join(g.provinces[p].name for p in others)
    if case.road_names:
        note += "; road ends or destinations named: " + ", ".join(case.road_names)
    for extra in case.notes:
        note += "; " + extra
    return _province_result(g, pc, note)


def _stage_nothing(case: _Case, admin1: str | None, admin2: str | None) -> GeocodeResult:
    """Nothing recognised: ``unresolved`` with a note saying what was missing."""
    text = case.text
    if (not text or not text.strip()) and not (admin1 or admin2):
        return GeocodeResult(geocode_note="no place text")
    if not text or not text.strip():
        return GeocodeResult(geocode_note="no place text, and no province or district recognised in the hints")
    if case.villages:
        g = case.g
        codes = {d for r in case.villages for d in r.districts}
        return GeocodeResult(
            geocode_candidates=_candidates(g, codes) if len(codes) <= 8 else "",
            geocode_note=f"only a village or neighbourhood ('{case.villages[0].mention.text}', listed in "
            f"{len(codes)} district(s)) and no district or province to confirm it",
        )
    return GeocodeResult(geocode_note="no province, district or town name recognised")


_PD_WORDS = {"district", "districts", "pd"}
_MINISTRY = {"ministry", "ministries"} | _norm_set({"وزارت", "وزارة", "وزارتهای"})


_AT = {"outside", "near", "at", "inside", "in", "entrance", "gate", "front", "building", "compound", "headquarters"}
_AT |= _norm_set({"مقابل", "نزدیک", "نزدیکی", "ساختمان", "دروازه", "درب", "ورودی", "داخل", "در", "کنار", "امام"})
_SPEECH = {"says", "said", "say", "spokesman", "spokesperson", "statement", "announced", "claims", "claimed", "reports"}
_SPEECH |= _norm_set({"گفت", "گفته", "اعلام", "سخنگوی", "سخنگو", "ادعا", "قال", "اعلنت"})


def _names_a_ministry(text: str, *, located: bool = True) -> bool:
    """A ministry named as the place ("outside the Ministry of Refugees"), not as a speaker.

    With ``located=False`` any mention of a ministry counts (it then only marks a
    bare "Kabul" as the city: "the ministry of urban development in Kabul").
    """
    words = _words(text)[0]
    if any(w in _SPEECH for w in words):
        return False
    for i, w in enumerate(words):
        if w in _MINISTRY:
            if not located:
                return True
            before = set(words[max(0, i - 4) : i])
            after = set(words[i + 1 : i + 6])
            if i == 0 or before & _AT or after & {"building", "compound", "headquarters", "gate"}:
                return True
    return False


def _says_the_capital(text: str, *, located: bool = False) -> bool:
    """ "the capital", "پایتخت", "العاصمة" (not "the provincial capital", not "capital of X").

    With ``located``, only as the place itself ("in the capital", "در پایتخت") and
    not in a statement ("... says", "گفت"), not as a distance ("east of the capital").
    """
    words, _ = _words(text)
    if located and any(w in _SPEECH for w in words):
        return False
    for i, t in enumerate(words):
        prev = words[i - 1] if i > 0 else ""
        prev2 = words[i - 2] if i > 1 else ""
        if t in _THE_CAPITAL and not (i + 1 < len(words) and words[i + 1] in _AR_PROVINCE):
            if not located or i == 0 or prev in _AT:
                return True
        if t == "capital" and prev in ("the", "afghan", "country", "countrys", "afghanistans"):
            if i + 1 < len(words) and words[i + 1] in ("of", "city"):
                continue
            lead = prev2 if prev == "the" else (words[i - 3] if i > 2 and prev2 == "the" else prev2)
            if not located or lead in _AT or lead == "of" and prev == "the" and i > 2 and words[i - 3] in _PD_WORDS:
                return True
    return False


@functools.lru_cache(maxsize=65536)
def _cached(text: str, admin1: str, admin2: str) -> GeocodeResult:
    return _resolve(text, admin1 or None, admin2 or None)


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value).strip()


def geocode_text(text: str, *, admin1: str | None = None, admin2: str | None = None) -> GeocodeResult:
    """Geocode one place phrase (no coordinates).

    Parameters
    ----------
    text : str
        The place as reported, in English, Dari, Pashto or Arabic.
    admin1, admin2 : str, optional
        Province / district names known from elsewhere (context, not orders:
        a district that contradicts ``admin1`` gives ``ambiguous``).

    Returns
    -------
    GeocodeResult
        Never raises for odd input: empty text gives ``unresolved`` with a note.

    Examples
    --------
    >>> r = geocode_text("Shotul district in Panjshir")
    >>> r.adm2_pcode, r.geocode_status
    ('AF0806', 'matched')
    >>> geocode_text("Fayzabad").geocode_status
    'ambiguous'
    """
    return _cached(_clean(text), _clean(admin1), _clean(admin2))


# --- frames ------------------------------------------------------------------------------


def geocode(
    frame: pd.DataFrame,
    *,
    text_column: str = "location",
    admin1_column: str | None = None,
    admin2_column: str | None = None,
    lat_column: str | None = None,
    lon_column: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Geocode every row of ``frame``; return a copy with the 10 ``GEOCODE_COLUMNS`` appended.

    Every input row and column is kept, in order. An input column named like an
    output column (e.g. an input ``latitude``) is renamed ``input_<name>`` so
    nothing is lost. The input frame is not modified.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to geocode.
    text_column : str, default "location"
        The place text column.
    admin1_column, admin2_column : str, optional
        Province / district names used as context (e.g. UCDP ``adm_2``).
    lat_column, lon_column : str, optional
        Coordinates. When given and inside (or within
        :data:`geo.settings.OUTSIDE_SNAP_M` of) Afghanistan, the point-in-district
        result is kept (precision 1); when the place text disagrees, the note says
        so and ``geocode_candidates`` lists the text-based answer. Swapped
        latitude/longitude are detected and corrected (with a note).
    progress : bool, default False
        Show a tqdm progress bar on stderr.

    Returns
    -------
    pandas.DataFrame
        The input columns, then ``adm1_pcode, admin1, adm2_pcode, admin2, latitude,
        longitude, geo_precision`` (nullable Int64), ``geocode_status`` (matched |
        ambiguous | unresolved), ``geocode_candidates``, ``geocode_note``.

    Raises
    ------
    InputError
        When a named column is missing (the message lists the available ones).

    Examples
    --------
    >>> out = geocode(pd.DataFrame({"location": ["Khinj", "PD-14, Herat City", ""]}))
    >>> out["adm2_pcode"].tolist(), out["geocode_status"].tolist()
    (['AF0804', 'AF3201', ''], ['matched', 'matched', 'unresolved'])
    """
    for name, col in (
        ("text_column", text_column),
        ("admin1_column", admin1_column),
        ("admin2_column", admin2_column),
        ("lat_column", lat_column),
        ("lon_column", lon_column),
    ):
        if col is not None and col not in frame.columns:
            raise InputError(f"{name}={col!r} is not a column; available columns: {list(frame.columns)}", field=col)
    if (lat_column is None) != (lon_column is None):
        raise InputError("give both lat_column and lon_column, or neither", field=lat_column or lon_column)

    n = len(frame)
    texts = [_clean(v) for v in frame[text_column].tolist()]
    a1 = [_clean(v) for v in frame[admin1_column].tolist()] if admin1_column else [""] * n
    a2 = [_clean(v) for v in frame[admin2_column].tolist()] if admin2_column else [""] * n
    # One geocoding per distinct (text, admin1, admin2); rows point to it by an integer code.
    position: dict[tuple[str, str, str], int] = {}
    codes = np.fromiter(
        (position.setdefault(k, len(position)) for k in zip(texts, a1, a2, strict=True)), dtype=np.int64, count=n
    )
    unique = list(position)
    it = unique
    if progress:
        from tqdm import tqdm

        it = tqdm(unique, desc="geocoding", unit="place", file=sys.stderr)
    solved = [_cached(*k) for k in it]

    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    if lat_column is not None:
        lat = pd.to_numeric(frame[lat_column], errors="coerce").to_numpy(dtype="float64", copy=True)
        lon = pd.to_numeric(frame[lon_column], errors="coerce").to_numpy(dtype="float64", copy=True)
    # A report that gives its point in the text ("PD 1 [34.513841, 69.171748]") where no column does.
    in_text = np.array([coordinates_in_text(t) for t, _, _ in unique] or [(np.nan, np.nan)], dtype="float64")
    use = ~(np.isfinite(lat) & np.isfinite(lon)) & np.isfinite(in_text[codes, 0]) if n else np.zeros(0, dtype=bool)
    lat[use], lon[use] = in_text[codes[use], 0], in_text[codes[use], 1]
    if (np.isfinite(lat) & np.isfinite(lon)).any():
        # Coordinates make each row its own case: expand to one result per row.
        solved = _with_coordinates([solved[c] for c in codes], lon, lat, from_text=use)
        codes = np.arange(n, dtype=np.int64)

    out = frame.copy()
    clash = [c for c in GEOCODE_COLUMNS if c in out.columns]
    if clash:
        out = out.rename(columns={c: INPUT_PREFIX + c for c in clash})
    for name in GEOCODE_COLUMNS:
        values = [getattr(r, name) for r in solved]
        if name in ("latitude", "longitude"):
            out[name] = np.asarray(values, dtype="float64")[codes] if n else np.empty(0, dtype="float64")
        elif name == "geo_precision":
            prec = pd.array([pd.NA if v is None else int(v) for v in values], dtype="Int64")
            out[name] = prec[codes] if n else pd.array([], dtype="Int64")
        else:
            column = np.empty(len(values), dtype=object)
            column[:] = values
            out[name] = column[codes]
    return out


#: A decimal "latitude, longitude" pair written in a text, inside Afghanistan's box (29-39 N, 60-75.5 E).
_TEXT_POINT = re.compile(
    r"(?<![\d.])(29|3[0-8])\.(\d{2,})\s*°?\s*N?\s*[,;/]?\s*(6\d|7[0-5])\.(\d{2,})\s*°?\s*E?(?![\d.])"
)


def coordinates_in_text(text: str) -> tuple[float, float]:
    """The one decimal point written in a place text, as (latitude, longitude); NaNs when there is none or several.

    Examples
    --------
    >>> coordinates_in_text('a "crowded area" in PD 1 [34.513841, 69.171748]')
    (34.513841, 69.171748)
    >>> coordinates_in_text("34.52N 69.18E"), coordinates_in_text("PD 13, Kabul, 2024.10")
    ((34.52, 69.18), (nan, nan))
    >>> coordinates_in_text("34.51, 69.17 or 36.71, 67.11")  # two points: neither is used
    (nan, nan)
    """
    found = _TEXT_POINT.findall(text or "")
    if len(found) != 1:
        return (math.nan, math.nan)
    a, b, c, d = found[0]
    return (float(f"{a}.{b}"), float(f"{c}.{d}"))


def _with_coordinates(
    results: list[GeocodeResult], lon: np.ndarray, lat: np.ndarray, *, from_text: np.ndarray
) -> list[GeocodeResult]:
    """Each row's answer from its point, where it has one; ``from_text`` marks points read from the place text."""
    g = load_gazetteer()
    has = np.isfinite(lon) & np.isfinite(lat)
    if not has.any():
        return results
    assigned = assign_points(lon, lat)
    swapped = np.zeros(len(lon), dtype=bool)
    miss = has & (assigned["adm2_pcode"].to_numpy() == "")
    if miss.any():
        alt = assign_points(lat[miss], lon[miss])
        ok = alt["adm2_pcode"].to_numpy() != ""
        rows = np.flatnonzero(miss)[ok]
        for col in ("adm1_pcode", "adm2_pcode", "assign_note"):
            assigned.loc[rows, col] = alt[col].to_numpy()[ok]
        swapped[rows] = True
    adm2_arr = assigned["adm2_pcode"].to_numpy(dtype=object)
    note_arr = assigned["assign_note"].to_numpy(dtype=object)
    # One answer per distinct (text answer, district, swapped, note, where the point came from); only the
    # point differs per row.
    answers: dict[tuple, GeocodeResult] = {}
    out = []
    for i, r in enumerate(results):
        if not has[i]:
            out.append(r)
            continue
        key = (r, adm2_arr[i], bool(swapped[i]), note_arr[i], bool(from_text[i]))
        answer = answers.get(key)
        if answer is None:
            answer = answers[key] = _coordinate_answer(g, r, *key[1:])
        if answer.adm2_pcode:
            y, x = (lon[i], lat[i]) if swapped[i] else (lat[i], lon[i])
            answer = _replace(answer, latitude=float(y), longitude=float(x))
        out.append(answer)
    return out


def _coordinate_answer(
    g: Gazetteer, r: GeocodeResult, d: str, swapped: bool, note: str, from_text: bool
) -> GeocodeResult:
    """The answer for a point assigned to district ``d`` (latitude/longitude filled in by the caller)."""
    if not d:
        return _replace(r, geocode_note=_join_notes(r.geocode_note, f"coordinates not used: {note}"))
    pc = g.districts[d].parent
    source = "from the coordinates written in the text" if from_text else "from the coordinates"
    parts = [f"point in district '{g.districts[d].name}' ({g.provinces[pc].name}) {source}"]
    if swapped:
        parts.append("latitude and longitude were swapped in the input and were corrected")
    if note:
        parts.append(note)
    cand = ""
    disagree = (r.adm2_pcode and r.adm2_pcode != d) or (r.adm1_pcode and r.adm1_pcode != pc)
    if r.geocode_status == AMBIGUOUS and r.geocode_candidates:
        codes = [c.split(" ")[0] for c in r.geocode_candidates.split("; ")]
        if d not in codes and pc not in codes:
            disagree = True
    if disagree:
        text_ans = (
            r.geocode_candidates if r.geocode_status == AMBIGUOUS else _candidates(g, [r.adm2_pcode or r.adm1_pcode])
        )
        parts.append(f"FLAG: the stated names disagree with the coordinates (text gives {text_ans})")
        cand = text_ans
    return GeocodeResult(
        pc,
        g.provinces[pc].name,
        d,
        g.districts[d].name,
        math.nan,
        math.nan,
        PRECISION_PLACE,
        MATCHED,
        cand,
        "; ".join(parts),
    )


def _replace(r: GeocodeResult, **kw) -> GeocodeResult:
    from dataclasses import replace

    return replace(r, **kw)


def _join_notes(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
