"""The name index the geocoder searches: provinces, districts, towns, and their spellings.

Sources (read from :func:`geo.settings.gazetteer_dir`: the bundled ``data/gazetteer/`` unless
``$AFGMAP_GAZETTEER`` names another folder):

- ``afg_admin_units.csv``: the 34 provinces and 399 districts (OCHA/AGCHO 2018),
  English and Dari names, OCHA alternative names, label points;
- ``afg_province_name_variants.csv``: province spellings (ISO, GeoNames, press);
- ``afg_geonames_cities500.csv``: 314 GeoNames towns with Latin and Arabic-script
  alternate names, already joined to their district P-code;
- :data:`ALIASES`: a small hand-written table for spellings the files lack.

Every name is reduced to a *key* by :func:`name_key`, which folds the
transliteration and script variants reports use, so ``Panjshir``, ``Panjsheer``
and ``Panjsher`` share one key, and so do ``جبل‌السراج`` and ``جبل السراج``.
:func:`load_gazetteer` builds the index once per process.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo import settings
from geo.errors import InputError

#: Hand-written aliases: spelling -> P-code, for spellings the gazetteer lacks or
#: folds differently. Keys are matched through :func:`name_key`, so one entry
#: covers its hyphen/case/vowel variants. Keep it short and documented: each entry
#: is a spelling seen in reports (UCDP, ACLED, press) for a real 2018 unit.
ALIASES: dict[str, str] = {
    # Panjsher
    "Khinj": "AF0804",  # AGCHO Khenj
    "Shotul": "AF0806",  # AGCHO Shutul
    "Onaba": "AF0805",
    "Unaba": "AF0805",
    "Anaba": "AF0805",  # AGCHO Anawa
    # Baghlan
    "Khost-o-Firing": "AF0913",  # AGCHO Khost Wa Fereng
    "Khost wa Firing": "AF0913",
    "Khost-o-Fereng": "AF0913",
    "Pol-e-Hesar": "AF0912",  # AGCHO Pul-e-Hisar
    "Pul-i-Hisar": "AF0912",
    "Baghlani Jadid": "AF0905",  # UCDP spelling
    "Baghlan-e Markazi": "AF0905",
    "Central Baghlan": "AF0905",
    "بغلان مرکزی": "AF0905",
    "بغلان المرکزی": "AF0905",  # Arabic reports
    "Andarabs": "AF0907",
    "Andarab": "AF0907",
    "اندرابها": "AF0907",
    "Dahana-i-Ghuri": "AF0902",
    "Burka": "AF0910",
    # Parwan / Kapisa / Kabul
    "Jabal-us-Saraj": "AF0305",
    "Jabal-os-Siraj": "AF0305",
    "Jabalussaraj": "AF0305",
    "Chaharikar": "AF0301",
    "Hesa-e Awal": "AF0204",  # also Khenj's OCHA alt name; context decides
    "Hesa Awal Kohistan": "AF0204",
    "حصه اول": "AF0204",  # Dari; also Khenj's note "(حصه اول)"; context decides
    "Kohistan 1": "AF0204",  # Kapisa's Kohistan, first part
    "Kohistan 2": "AF0202",
    "Hesa Duwum": "AF0202",
    "Hesa-e Dowom": "AF0202",
    "Hisa-i-Duwum": "AF0202",
    "حصه دوم": "AF0202",
    "Mahmud Raqi": "AF0201",
    "Mahmud-e Raqi": "AF0201",
    "Qarabagh": "AF0114",  # also AF1111 (Ghazni) through the fold; context decides
    "Shakardara": "AF0106",
    # Nangarhar / east
    "Darai Nur": "AF0612",
    "Dara-i-Nur": "AF0612",
    "Dara-e-Noor": "AF0612",
    "Khugiani": "AF0608",
    "Asadabad": "AF1501",
    "Mehtar Lam": "AF0701",
    # North
    "Taluqan": "AF1801",
    "Taloqan": "AF1801",
    "Taleqan": "AF1801",
    "Rustaq": "AF1810",
    "Rostaq": "AF1810",
    "Khwaja Bahauddin": "AF1814",
    "Khwaja Bahawoddin": "AF1814",
    "خواجه بهاءالدین": "AF1814",
    "Ishkamish": "AF1811",
    "Khanabad": "AF1904",
    "Khan Abad": "AF1904",
    "Imam Sahib": "AF1905",
    "Qalay-i-Zal": "AF1907",
    "Qala-i-Zal": "AF1907",
    "Dasht-i-Archi": "AF1906",
    "Chardara": "AF1902",
    "Mazari Sharif": "AF2101",
    "Mazar-i-Sharif": "AF2101",
    "Mazar": "AF2101",
    "Sholgara": "AF2107",
    "Kishindih": "AF2114",
    "Sari Pul": "AF2201",
    "Sangcharak": "AF2205",
    "Shibirghan": "AF2801",
    "Sheberghan": "AF2801",
    "Jurm": "AF1710",
    "Khwahan": "AF1720",
    # West / south
    "Injil": "AF3202",
    "Enjil": "AF3202",
    "Qala-I-Naw": "AF3101",
    "Qala-i-Naw": "AF3101",
    "Chaghcharan": "AF2301",
    "Firozkoh": "AF2301",
    "Nahri Sarraj": "AF3004",
    "Gereshk": "AF3004",
    "Nad Ali": "AF3002",
    "Nawa-i-Barak Zayi": "AF3003",
    "Lashkar Gah": "AF3001",
    "Naw Zad": "AF3007",
    "Pusht Rod": "AF3302",
    "Khaki Safed": "AF3303",
    "Tirin Kot": "AF2501",
    "Tarinkot": "AF2501",
    "Shahidi Hassas": "AF2504",
    "Shahidi Hossas": "AF2504",
    "Dara-i-Sufi Payin": "AF2006",
    "Dara-i-Sufi Bala": "AF2007",
    "Wali Muhammadi Shahid": "AF1102",
    "Shah Wali Kot": "AF2706",
    "Khash Rod": "AF3405",
    "Qush Tepa": "AF2805",
    "Shahjoy": "AF2606",
    # Border towns known by their own name, inside one district
    "Hairatan": "AF2116",
    "Hayratan": "AF2116",
    "حیرتان": "AF2116",
    "Torkham": "AF0617",
    "تورخم": "AF0617",
    "Sher Khan Bandar": "AF1905",
    "Shir Khan Bandar": "AF1905",
    "شیرخان بندر": "AF1905",
    # Districts created after 2018, inside a 2018 district (SOURCES.md)
    # "Behsud" is also the Nangarhar district, and Wardak has two Behsud districts: the two
    # spellings share one key, so the key points to all three and context decides.
    "Behsud": "AF0409",
    "Bihsud": "AF0407",
    "بهسود": "AF0409",
    "بهسود\u200c": "AF0407",  # same key as بهسود (the joiner is dropped)
    "Marja": "AF3002",
    "Marjah": "AF3002",
    "Yakawlang No. 2": "AF1005",
    "Shah Joy": "AF2606",
}

#: Province spellings in Dari, Pashto and Arabic that the variants file lacks
#: (it has one Dari name per province): short forms (وردک for Maidan Wardak, کنر for
#: "کنر ها"), Pashto letters, Arabic vowels (كونار, لوغار, قندوز).
PROVINCE_ALIASES: dict[str, str] = {
    "وردک": "AF04",
    "لوغار": "AF05",
    "لوجر": "AF05",
    "کنر": "AF15",
    "کونر": "AF15",
    "کونړ": "AF15",
    "کنړ": "AF15",
    "كونار": "AF15",
    "قندوز": "AF19",
    "کندوز": "AF19",
    "روزگان": "AF25",
    "اروزگان": "AF25",
    "اوروزگان": "AF25",
    "أوروزغان": "AF25",
    "سرپل": "AF22",
    "سر پل": "AF22",
    "Sar-i-Pul": "AF22",
    "Wardag": "AF04",
}

#: Well-known neighbourhoods and landmarks of Kabul city (all inside the AGCHO
#: Kabul district, AF0101), English and Dari spellings. A neighbourhood marks the *city*: the
#: answer is the city's district at the city's GeoNames point (precision 1, the
#: note says the point is the city's). "Shahr-e Naw" exists in several cities and
#: is left out, and so is Hud Khel, on the border with Bagrami. Add a city here only
#: with names known to lie inside its district.
NEIGHBOURHOODS: dict[str, str] = {
    "Khair Khana": "AF0101",
    "خیرخانه": "AF0101",
    "Karte Parwan": "AF0101",
    "کارته پروان": "AF0101",
    "Parwan-e Du": "AF0101",
    "پروان دو": "AF0101",
    "پروان دوم": "AF0101",
    "Parwan-e Se": "AF0101",
    "Parwan-e Sewom": "AF0101",
    "پروان سه": "AF0101",
    "پروان سوم": "AF0101",
    "Karte Se": "AF0101",
    "Karte Seh": "AF0101",
    "کارته سه": "AF0101",
    "Karte Char": "AF0101",
    "کارته چهار": "AF0101",
    "Karte Naw": "AF0101",
    "کارته نو": "AF0101",
    "Pul-e Surkh": "AF0101",
    "پل سرخ": "AF0101",
    "Shash Darak": "AF0101",
    "Shashdarak": "AF0101",
    "ششدرک": "AF0101",
    "Kota-e Sangi": "AF0101",
    "Kote Sangi": "AF0101",
    "کوته سنگی": "AF0101",
    "Dasht-e Barchi": "AF0101",
    "Dasht-e Barchi Kabul": "AF0101",
    "دشت برچی": "AF0101",
    "Wazir Akbar Khan": "AF0101",
    "وزیر اکبر خان": "AF0101",
    "Macroyan": "AF0101",
    "Makroyan": "AF0101",
    "مکروریان": "AF0101",
    "Taimani": "AF0101",
    "تایمنی": "AF0101",
    "Qala-e Fathullah": "AF0101",
    "قلعه فتح الله": "AF0101",
    "Deh Afghanan": "AF0101",
    "ده افغانان": "AF0101",
    "Sherpur": "AF0101",
    "شیرپور": "AF0101",
    "Darulaman": "AF0101",
    "Dar ul Aman": "AF0101",
    "دارالامان": "AF0101",
    "Khwaja Rawash": "AF0101",
    "خواجه رواش": "AF0101",
    "Shahrara": "AF0101",
    "شهرآرا": "AF0101",
    "Chindawol": "AF0101",
    "چنداول": "AF0101",
    "Kart-e Mamurin": "AF0101",
    "کارته مامورین": "AF0101",
    "Abdul Haq square": "AF0101",
    "چهارراهی عبدالحق": "AF0101",
    "Sarai Shamali": "AF0101",
    "سرای شمالی": "AF0101",
    # Landmarks inside the Kabul district polygon (checked with geo.join.assign_points).
    "Kabul Airport": "AF0101",
    "Kabul International Airport": "AF0101",
    "Hamid Karzai International Airport": "AF0101",
    "HKIA": "AF0101",
    "میدان هوایی کابل": "AF0101",
    "میدان هوایی بین المللی کابل": "AF0101",
    "فرودگاه کابل": "AF0101",
    "مطار کابل": "AF0101",
}

#: Names that are also common words ("valley", "fort", "centre", "inside",
#: "crime", "headquarters"...) or tribal surnames (Kakar, Zadran, Shinwari):
#: matched only right beside a district marker.
WEAK_NAMES: frozenset[str] = frozenset(
    {
        "dara",
        "kot",
        "reg",
        "shamal",
        "chal",
        "bak",
        "markaz",
        "bala",
        "shahrak",
        "nari",
        "andar",
        "charkh",
        "duab",
        "center",
        "centre",
        "kalan",
        "bazar",
        "shuhada",
        "دره",
        "کوت",
        "ریگ",
        "شهرستان",
        "شهدا",
        "مرکز",
        "بالا",
        "اندر",
        "جرم",
        "شکی",
        "نرخ",
        "چرخ",
        "شهرک",
        "مقر",
        "ورث",
        "دواب",
        "صناعتی",
        "خاص",
        "زاری",
        "باک",
        # Tribal names that are also districts: mostly met as people's surnames.
        "kakar",
        "zadran",
        "mangal",
        "shinwari",
        "jaji",
        "کاکر",
        "زدران",
        "منگل",
        "شینواری",
        "جاجی",
        "gurbuz",
        "گربز",
        "qalandar",
        "قلندر",
        "sherzad",
        "شیرزاد",
        "maruf",
        "معروف",
        "sabari",
        "صبری",
        "farsi",
        "dawlatshah",
        "دولت شاه",
        "shekh ali",
        "شیخ علی",
        "mohammad agha",
        "محمد آغه",
        # Dari words: heavy, newborn, deadly, hunter, post/chair, happiness, spring, cup...
        "سنگین",
        "نوزاد",
        "کشنده",
        "صیاد",
        "چوکی",
        "خوشی",
        "نوبهار",
        "ساغر",
        "دامان",
        "نیش",
        "میزان",
        "کلدار",
        "گوسفندی",
        "گلستان",
        "گرمسیر",
        "پنجاب",
        "گیلان",
        "گومل",
        "خروار",
        "خانقا",
        "خانقاه",
        "چاه آب",
        "نمک آب",
        "چال",
        "قلات",
        "نیلی",
        "کشک",
    }
)

#: GeoNames alternate names containing these words name an office ("Wuleswali X",
#: "Markaz-e X", "ولسوالی بگرام") or a generic village ("Qaryah-ye X"): not indexed.
_ADMIN_WORDS = re.compile(
    r"wul[ue]s|wolus|olus|ulus|markaz|hukumat|hokumat|alaka|alaqa|qaryah|qaryeh|wilayat|"
    r"ولسوالی|مرکز|حکومت|علاکه|کریه|ولایت"
)

#: GeoNames village names that are everyday words or people's names in reports
#: ("لاش" corpse, "نیک" good, "کوتوال" police chief, "خوش آمد" welcome, "قراول" guard,
#: "Ghulam Ali", "Ibrahim Khan"): not indexed as places.
COMMON_WORD_PLACES: frozenset[str] = frozenset(
    {
        "لاش",
        "نیک",
        "شیوه",
        "قراول",
        "زیرکی",
        "خوش آمد",
        "کوتوال",
        "ده نو",
        "ده کلان",
        "کلان ده",
        "لنگر",
        "چنار",
        "مشهد",
        "میری",
        "کندی",
        "تاتار",
        "صناعتی",
        "غلام علی",
        "ابراهیم خان",
        "علی شیر",
        "حاجی خیل",
        "ماما خیل",
        "سلام خیل",
        "میران",
        "شهران",
        "دهی",
        "مرج",
        "لعل",
        "نری",
        "نکه",
        "کږه",
        "کهی",
        "کائی",
        "Ghulam Ali",
        "Ibrahim Khan",
        "Haji Khel",
        "Mama Khel",
        "Ali Sher",
        "Salam Khel",
        "Langar",
        "Chinar",
        "Miran",
        "Kotowal",
        "Kotwal",
        "Mashhad",
        "Dehi",
        "Tatar",
        "Qarawul",
        "Karaul",
        "Shahran",
        "Deh-e Now",
        "Kalan Deh",
        "Sayed",
        "Sayyid",
        "Saiyid",
        "Seyyed",
        "Said",
        "Saiad",
        "Khas",
        "Nayak",
        "Miray",
        "Lash",
        "Kai",
        "Ka'i",
        "March",
        "Marc",
    }
)

#: Latin tokens dropped from keys: izafe and conjunctions (Pul-e-Hisar, Tala wa Barfak,
#: Khost-o-Firing, Jabal-us-Saraj).
_DROP_TOKENS = frozenset(
    {"e", "i", "y", "ye", "yi", "us", "ul", "os", "ol", "al", "el", "wa", "va", "o", "u", "and", "w"}
)

_ARABIC_MAP = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ې": "ی",
        "ۍ": "ی",
        "ئ": "ی",
        "ێ": "ی",
        "ك": "ک",
        "ڪ": "ک",
        "ګ": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        "ھ": "ه",
        "ہ": "ه",
        "ۂ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ؤ": "و",
        "ۇ": "و",
        "ټ": "ت",
        "ډ": "د",
        "ړ": "ر",
        "ښ": "ش",
        "ږ": "ز",
        "ڼ": "ن",
        "څ": "ج",
        "ځ": "ز",
        "ء": "",
        "ـ": "",
        "\u200c": "",
        "\u200d": "",
        "\u200e": "",
        "\u200f": "",
        "ٔ": "",
        "ٕ": "",
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
        "۰": "0",
        "۱": "1",
        "۲": "2",
        "۳": "3",
        "۴": "4",
        "۵": "5",
        "۶": "6",
        "۷": "7",
        "۸": "8",
        "۹": "9",
        # Letters Dari spells interchangeably in names (قندهار/کندهار, قندز/کندز, ذال/زال).
        "ق": "ک",
        "ط": "ت",
        "ذ": "ز",
        "ض": "ز",
        "ظ": "ز",
        "ص": "س",
        "ث": "س",
        # Arabic writes Persian letters without their dots: بنجشير, جاريكار, كابيسا.
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        "گ": "ک",
        "،": ",",
        "؛": ";",
        "؟": "?",
        "«": '"',
        "»": '"',
        "٫": ".",
        "٬": ",",
    }
)
_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
_LATIN_APOS = re.compile("[’‘`´ʿʾ'ʼ]")


def normalize_text(text: str, *, keep_case: bool = False) -> str:
    """Normalise script variants without changing the words.

    Arabic-script letters are unified (ي/ی, ك/ک, ۀ/ە/ة→ه, Pashto ټ/ډ/ړ/ښ→ت/د/ر/ش...),
    diacritics, tatweel and zero-width joiners are removed (so ``جبل‌السراج`` and
    ``جبلالسراج`` agree), Persian and Arabic-Indic digits become ASCII, Latin letters
    lose their accents and are lower-cased, apostrophes vanish, hyphens become spaces.

    Examples
    --------
    >>> normalize_text("Pul-e Ḩişār")
    'pul e hisar'
    >>> normalize_text("ناحیهٔ ۱۵ شهر كابل")
    'ناحیه 15 شهر کابل'
    """
    if not isinstance(text, str):
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_ARABIC_MAP)
    s = _ARABIC_DIACRITICS.sub("", s)
    # Latin: strip accents (NFKD then drop combining marks) but keep Arabic letters intact.
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = unicodedata.normalize("NFKC", s).translate(_ARABIC_MAP)
    s = s.replace("ı", "i").replace("ł", "l").replace("ø", "o").replace("đ", "d")
    s = _LATIN_APOS.sub("", s if keep_case else s.lower())
    s = s.replace("-", " ").replace("_", " ")
    return re.sub(r"\s+", " ", s).strip()


def _fold_latin_token(tok: str, *, final: bool) -> str:
    if not final and len(tok) >= 4 and tok[-1] in "iey" and tok[-2] not in "aeiouy":
        tok = tok[:-1]  # izafe written on the word: Mazari Sharif, Baghlani Jadid, Pule Khumri
    if len(tok) >= 4 and tok.endswith("h") and tok[-2] in "aeiou":
        tok = tok[:-1]  # Goshtah/Goshta, Keshendeh/Keshende
    return tok


def _fold_latin(s: str) -> str:
    s = s.replace("dzh", "j").replace("dj", "j")
    s = s.replace("ph", "f").replace("q", "k").replace("gh", "g").replace("kh", "x").replace("v", "w")
    s = s.replace("ee", "i").replace("oo", "u").replace("ou", "u").replace("y", "i").replace("e", "i").replace("o", "u")
    return re.sub(r"(.)\1+", r"\1", s)


def _fold_arabic_token(tok: str) -> str:
    if len(tok) > 3 and tok.endswith("هی"):
        tok = tok[:-1]  # izafe after final he: حصهی → حصه
    return tok


def tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text`` (punctuation dropped).

    Examples
    --------
    >>> tokens("Pol-e-Hesar, Baghlan")
    ['pol', 'e', 'hesar', 'baghlan']
    """
    return re.findall(r"[0-9a-z\u0600-\u06ff]+", normalize_text(text))


def key_from_tokens(toks: list[str] | tuple[str, ...]) -> str:
    """The matching key of a sequence of normalised tokens (see :func:`name_key`)."""
    if not toks:
        return ""
    if any(_ARABIC_LETTER.match(t) for t in toks):
        # "و" (and) is dropped, alone or glued to the next word: خوست و فرنگ, تاله وبرفک.
        out = []
        for k, t in enumerate(toks):
            if t == "و":
                continue
            if k > 0 and len(t) > 3 and t.startswith("و"):
                t = t[1:]
            out.append(_fold_arabic_token(t))
        return "".join(out)
    kept = [t for t in toks if t not in _DROP_TOKENS]
    if not kept:
        return ""
    folded = [_fold_latin_token(t, final=(k == len(kept) - 1)) for k, t in enumerate(kept)]
    return _fold_latin("".join(folded))


def name_key(name: str) -> str:
    """Fold a place name to the key the index uses.

    Latin: lower case, no accents, no spaces or hyphens, izafe and "wa"/"o"/"and"
    dropped, e→i, o→u, y→i, w/v, q→k, gh→g, doubled letters single.
    Arabic script: letters unified, no spaces, no zero-width joiners, no diacritics.

    Examples
    --------
    >>> name_key("Panjsheer") == name_key("Panjsher") == name_key("Panjshir")
    True
    >>> name_key("Khost-o-Firing") == name_key("Khost wa Fereng")
    True
    >>> name_key("جبل‌السراج") == name_key("جبل السراج")
    True
    """
    return key_from_tokens(tokens(name))


def skeleton(key: str) -> str:
    """A consonant skeleton of a Latin key (vowels after the first letter dropped), for fuzzy fall-back.

    Examples
    --------
    >>> skeleton(name_key("Sirkanay")) == skeleton(name_key("Sar Kani"))
    True
    """
    if not key or _ARABIC_LETTER.match(key):
        return key
    return re.sub(r"(.)\1+", r"\1", key[0] + re.sub("[aiu]", "", key[1:]))


@dataclass(frozen=True)
class Entry:
    """One way of matching a name: the unit it points to and how it got there."""

    kind: str  # "province" | "district" | "place"
    adm1_pcode: str
    adm2_pcode: str  # "" for a province
    name: str  # the canonical name of the unit (AGCHO for admin units, GeoNames for places)
    matched: str  # the spelling that produced this key
    source: str  # "name", "Dari name", "OCHA alternative name", "province variant", "alias", "GeoNames"
    lat: float
    lon: float
    centre: bool = False  # district is its province's capital district; place is PPLA/PPLC
    weak: bool = False


@dataclass(frozen=True)
class Unit:
    """A province or district: P-code, names and label point."""

    pcode: str
    name: str
    name_da: str
    parent: str  # province P-code of a district ("AF" for a province)
    lat: float
    lon: float


@dataclass(frozen=True)
class Gazetteer:
    """The loaded name index (built once per process by :func:`load_gazetteer`)."""

    index: dict[str, tuple[Entry, ...]]
    provinces: dict[str, Unit]
    districts: dict[str, Unit]
    centre_of: dict[str, str]  # province P-code -> capital district P-code
    towns: dict[str, Entry]  # district P-code -> its main GeoNames town (PPLC/PPLA first)
    max_tokens: int
    same_name_capitals: frozenset[str] = field(default=frozenset())  # Kabul, Hirat, Kunduz... districts
    district_keys: tuple[str, ...] = field(default=())
    province_keys: tuple[str, ...] = field(default=())

    def lookup(self, key: str) -> tuple[Entry, ...]:
        """Entries whose key is ``key`` (empty tuple when none)."""
        return self.index.get(key, ())


def _split(value) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [v.strip() for v in value.split("|") if v.strip()]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(
            f"gazetteer file {path} not found; set ${settings.GAZETTEER_ENV} to the folder holding "
            f"{settings.ADMIN_UNITS_FILE}, {settings.PROVINCE_VARIANTS_FILE} and {settings.GEONAMES_FILE}"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=4)
def _build(folder: str) -> Gazetteer:
    base = Path(folder)
    units = _read(base / settings.ADMIN_UNITS_FILE)
    variants = _read(base / settings.PROVINCE_VARIANTS_FILE)
    geonames = _read(base / settings.GEONAMES_FILE)

    provinces: dict[str, Unit] = {}
    districts: dict[str, Unit] = {}
    centre_of: dict[str, str] = {}
    for r in units.itertuples(index=False):
        u = Unit(r.pcode, r.name_en, r.name_da, r.parent_pcode, float(r.label_lat), float(r.label_lon))
        if r.level == "1":
            provinces[r.pcode] = u
        else:
            districts[r.pcode] = u
            if "Centre" in _split(r.alt_names_en):
                centre_of[r.parent_pcode] = r.pcode

    for pcode in provinces:
        # Kabul's district carries no "Centre" marker in the OCHA file: the capital
        # district is then the one sharing the province's name.
        if pcode not in centre_of:
            same = [
                d
                for d, u in districts.items()
                if u.parent == pcode and name_key(u.name) == name_key(provinces[pcode].name)
            ]
            if same:
                centre_of[pcode] = same[0]

    index: dict[str, list[Entry]] = {}
    max_tokens = 1
    rank0 = {"PPLC": 0, "PPLA": 1}
    towns_first: dict[str, tuple[float, float]] = {}
    for r in sorted(geonames.itertuples(index=False), key=lambda r: rank0.get(r.feature_code, 2)):
        if r.feature_code in rank0:
            towns_first.setdefault(r.adm2_pcode, (float(r.latitude), float(r.longitude)))

    def add(spelling: str, entry_kw: dict) -> None:
        nonlocal max_tokens
        # Dari names carry notes in brackets, e.g. "خنج (حصه اول)": index both parts.
        parts = [spelling] + re.findall(r"\(([^)]*)\)", spelling) + [re.sub(r"\([^)]*\)", " ", spelling)]
        # Arabic has no گ: it writes ج or غ (سمنجان, ننغرهار, أروزجان).
        parts += [p.replace("گ", x).replace("ګ", x) for p in list(parts) if "گ" in p or "ګ" in p for x in "جغ"]
        for part in dict.fromkeys(p.strip() for p in parts if p.strip()):
            toks = tokens(part)
            key = key_from_tokens(toks)
            if len(key) < 3 and not (len(key) == 2 and _ARABIC_LETTER.match(key) and entry_kw["kind"] == "district"):
                continue  # two-letter Dari district names (چک) are kept, as weak names
            max_tokens = max(max_tokens, len(toks))
            e = Entry(matched=part, weak=key in WEAK_KEYS or len(key) < 3, **entry_kw)
            bucket = index.setdefault(key, [])
            if not any(
                b.kind == e.kind and b.adm1_pcode == e.adm1_pcode and b.adm2_pcode == e.adm2_pcode for b in bucket
            ):
                bucket.append(e)

    for pcode, u in provinces.items():
        kw = dict(kind="province", adm1_pcode=pcode, adm2_pcode="", name=u.name, lat=u.lat, lon=u.lon)
        add(u.name, {**kw, "source": "name"})
        add(u.name_da, {**kw, "source": "Dari name"})
    for r in variants.itertuples(index=False):
        u = provinces[r.adm1_pcode]
        kw = dict(kind="province", adm1_pcode=r.adm1_pcode, adm2_pcode="", name=u.name, lat=u.lat, lon=u.lon)
        for v in _split(r.name_variants) + [r.name_da]:
            add(v, {**kw, "source": "province variant"})
    for spelling, pcode in PROVINCE_ALIASES.items():
        u = provinces[pcode]
        add(
            spelling,
            dict(
                kind="province",
                adm1_pcode=pcode,
                adm2_pcode="",
                name=u.name,
                lat=u.lat,
                lon=u.lon,
                source="province variant",
            ),
        )
    alt_by_pcode = dict(zip(units["pcode"], units["alt_names_en"], strict=False))

    def district_kw(pcode: str) -> dict:
        u = districts[pcode]
        return dict(
            kind="district",
            adm1_pcode=u.parent,
            adm2_pcode=pcode,
            name=u.name,
            lat=u.lat,
            lon=u.lon,
            centre=centre_of.get(u.parent) == pcode,
        )

    for pcode, u in districts.items():
        kw = district_kw(pcode)
        add(u.name, {**kw, "source": "name"})
        add(u.name_da, {**kw, "source": "Dari name"})
        for alt in _split(alt_by_pcode.get(pcode)):
            if alt != "Centre":
                add(alt, {**kw, "source": "OCHA alternative name"})
    # A short form shared with another district's exact name ("Nawa" for Nawa-e-Barakzaiy as
    # well as the Nawa district of Ghazni; "Kushk", "خاش") is indexed for both, so that the
    # province named decides, or the answer is ambiguous.
    for pcode, u in districts.items():
        for full in (u.name, u.name_da):
            toks = tokens(re.sub(r"\([^)]*\)", " ", full))
            if len(toks) < 2:
                continue
            first = key_from_tokens([toks[0]])
            others = [e for e in index.get(first, []) if e.kind == "district" and e.adm2_pcode != pcode]
            mine = [e for e in index.get(first, []) if e.adm2_pcode == pcode]
            if others and not mine and first not in WEAK_KEYS and len(first) >= 3:
                index[first].append(Entry(**district_kw(pcode), matched=toks[0], source="short form"))

    for spelling, pcode in ALIASES.items():
        add(spelling, {**district_kw(pcode), "source": "alias"})

    for spelling, pcode in NEIGHBOURHOODS.items():
        town = towns_first.get(pcode)
        u = districts[pcode]
        add(
            spelling,
            dict(
                kind="place",
                adm1_pcode=u.parent,
                adm2_pcode=pcode,
                name=spelling,
                lat=town[0] if town else u.lat,
                lon=town[1] if town else u.lon,
                source="neighbourhood",
            ),
        )

    admin_keys = set(index)
    towns: dict[str, Entry] = {}
    rank = {"PPLC": 0, "PPLA": 1, "PPLA2": 2}
    for r in sorted(geonames.itertuples(index=False), key=lambda r: rank.get(r.feature_code, 3)):
        kw = dict(
            kind="place",
            adm1_pcode=r.adm1_pcode,
            adm2_pcode=r.adm2_pcode,
            name=r.asciiname,
            lat=float(r.latitude),
            lon=float(r.longitude),
            centre=r.feature_code in ("PPLC", "PPLA"),
            source="GeoNames",
        )
        towns.setdefault(r.adm2_pcode, Entry(matched=r.name, **kw))
        own = [r.name, r.asciiname]
        # Alternate names: skip machine transliterations (all lower case) and names that
        # are already a province or district name (e.g. "Laghman" for Mehtarlam town).
        alts = [a for a in _split(r.alt_names_latin) if not a.islower() and len(a) >= 4]
        alts += [a for a in _split(r.alt_names_arabic_script) if len(a.replace(" ", "")) >= 3]
        alts = [a for a in alts if not _ADMIN_WORDS.search(normalize_text(a))]
        for is_alt, spelling in [(False, x) for x in own] + [(True, x) for x in alts]:
            k = name_key(spelling)
            if k in _COMMON_KEYS or (is_alt and k in admin_keys):
                continue
            add(spelling, kw)

    frozen = {k: tuple(v) for k, v in index.items()}
    dkeys = tuple(k for k, v in frozen.items() if any(e.kind == "district" for e in v))
    pkeys = tuple(k for k, v in frozen.items() if any(e.kind == "province" for e in v))

    def names(code: str) -> set[str]:
        es = [e for v in frozen.values() for e in v if (e.adm2_pcode or e.adm1_pcode) == code and e.kind != "place"]
        return {name_key(e.matched) for e in es if e.source in ("name", "Dari name", "OCHA alternative name")}

    same = frozenset(d for p, d in centre_of.items() if names(d) & names(p))
    return Gazetteer(frozen, provinces, districts, centre_of, towns, max_tokens, same, dkeys, pkeys)


WEAK_KEYS: frozenset[str] = frozenset(name_key(w) for w in WEAK_NAMES)
_COMMON_KEYS: frozenset[str] = frozenset(name_key(w) for w in COMMON_WORD_PLACES)


def load_gazetteer() -> Gazetteer:
    """Load (once per process and folder) the name index from :func:`geo.settings.gazetteer_dir`.

    Returns
    -------
    Gazetteer
        ``index`` maps a :func:`name_key` to the :class:`Entry` objects it can mean
        (a key may mean a province, several districts and a town at once);
        ``provinces``/``districts`` map P-codes to :class:`Unit`; ``centre_of`` maps a
        province to its capital district.

    Raises
    ------
    InputError
        When a gazetteer file is missing (the message names the folder and the variable).

    Examples
    --------
    >>> g = load_gazetteer()
    >>> sorted(e.adm2_pcode for e in g.lookup(name_key("Fayzabad")) if e.kind == "district")
    ['AF1701', 'AF2808']
    """
    return _build(str(gazetteer_path()))


def gazetteer_path() -> Path:
    """The gazetteer folder in use (:func:`geo.settings.gazetteer_dir`)."""
    return settings.gazetteer_dir()
