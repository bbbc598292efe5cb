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
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo import settings
from geo.errors import InputError

#: GeoNames alternate names containing these words name an office ("Wuleswali X",
#: "Markaz-e X", "ولسوالی بگرام") or a generic village ("Qaryah-ye X"): not indexed.
_ADMIN_WORDS = re.compile(
    r"wul[ue]s|wolus|olus|ulus|markaz|hukumat|hokumat|alaka|alaqa|qaryah|qaryeh|wilayat|"
    r"ولسوالی|مرکز|حکومت|علاکه|کریه|ولایت"
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
_ELISION = re.compile(r"\b([dlDL])[’'ʼ](?=[A-Za-z])")


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
    >>> normalize_text("la province d'Hérat")
    'la province d herat'
    """
    if not isinstance(text, str):
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_ARABIC_MAP)
    s = _ARABIC_DIACRITICS.sub("", s)
    # Latin: strip accents (NFKD then drop combining marks) but keep Arabic letters intact.
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = unicodedata.normalize("NFKC", s).translate(_ARABIC_MAP)
    s = s.replace("ı", "i").replace("ł", "l").replace("ø", "o").replace("đ", "d")
    s = _ELISION.sub(r"\1 ", s)  # French elision: "d'Herat", "l'Afghanistan" are two words
    s = _LATIN_APOS.sub("", s if keep_case else s.lower())
    s = s.replace("-", " ").replace("_", " ")
    return re.sub(r"\s+", " ", s).strip()


#: Latin spellings of one word that reports write several ways, folded to one form before the
#: letter rules below: "Chahar Bolak"/"Char Bolak", "Chahar Asyab"/"Char Asyab".
_LATIN_WORD_FORMS = {"chahar": "char", "chehar": "char", "chaar": "char", "chahr": "char"}


def _fold_latin_token(tok: str, *, final: bool) -> str:
    tok = _LATIN_WORD_FORMS.get(tok, tok)
    if not final and len(tok) >= 4 and tok[-1] in "iey" and tok[-2] not in "aeiouy":
        tok = tok[:-1]  # izafe written on the word: Mazari Sharif, Baghlani Jadid, Pule Khumri
    if len(tok) >= 4 and tok.endswith("h") and tok[-2] in "aeiou":
        tok = tok[:-1]  # Goshtah/Goshta, Keshendeh/Keshende
    return tok


def _fold_latin(s: str) -> str:
    s = s.replace("dzh", "j").replace("dj", "j")
    s = s.replace("ph", "f").replace("q", "k").replace("gh", "g").replace("kh", "x").replace("v", "w")
    s = s.replace("ee", "i").replace("oo", "u").replace("ou", "u").replace("y", "i").replace("e", "i").replace("o", "u")
    s = re.sub(r"(.)\1+", r"\1", s)
    # w/o/u after a vowel: Dawlat/Dowlat/Daulat, Nawur/Naur.
    return s.replace("au", "aw").replace("uw", "aw")


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
    dropped, Chahar→Char, e→i, o→u, y→i, v→w, q→k, gh→g, kh→x, doubled letters single,
    au/ow→aw.
    Arabic script: letters unified, no spaces, no zero-width joiners, no diacritics.

    Examples
    --------
    >>> name_key("Panjsheer") == name_key("Panjsher") == name_key("Panjshir")
    True
    >>> name_key("Khost-o-Firing") == name_key("Khost wa Fereng")
    True
    >>> name_key("Chahar Bolak") == name_key("Char Bolak"), name_key("Dowlat Abad") == name_key("Daulatabad")
    (True, True)
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


#: The levels a name can stand for, from the widest to the narrowest.
LEVELS = ("province", "district", "settlement", "neighbourhood", "site")

#: Rules of ``afg_name_rules.csv``: a name that is also an everyday word or a surname is only
#: read as a place right beside a marker ("X district", "ولسوالی X", or its slot in
#: "village, district, province"); a village name that is an everyday word is not indexed.
RULE_NEEDS_MARKER, RULE_NOT_A_PLACE = "needs_marker", "not_a_place"

#: IEC district spellings made only of these words name an office, not a district
#: ("PROVINCIAL CENTER (KABUL)" is the capital district, whose own name is indexed anyway).
_OFFICE_WORDS = frozenset({"provincial", "province", "center", "centre", "markaz", "wollayat", "city", "of"})

#: Words an IEC settlement name carries beside the name itself ("Naghara Khan village", "قریه نشهر").
_SETTLEMENT_WORDS = re.compile(r"\b(village|qarya|qaria|qaryah)\b|^\s*قریه\s+|\s+قریه\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One way of matching a name: the unit it points to, its level and how it got there.

    ``kind`` is what the resolver reasons about (``province``, ``district`` or
    ``place``); ``level`` is what the name stands for (:data:`LEVELS`): a ``place``
    is a settlement (town or village), a neighbourhood of a city or a site. Every
    entry carries its parents: ``adm1_pcode`` (province) and, below province level,
    ``adm2_pcode`` (district). ``lat``/``lon`` are NaN when the source has no point
    (IEC villages): such a place is answered at its district's label point.
    """

    kind: str  # "province" | "district" | "place"
    adm1_pcode: str
    adm2_pcode: str  # "" for a province
    name: str  # the canonical name of the unit (AGCHO for admin units, the source's for places)
    matched: str  # the spelling that produced this key
    source: str  # "name", "Dari name", "OCHA alternative name", "province variant", "alias", "GeoNames", "IEC ..."
    lat: float
    lon: float
    centre: bool = False  # district is its province's capital district; place is PPLA/PPLC
    weak: bool = False
    level: str = ""  # one of LEVELS ("" is read from kind: province/district, or settlement)

    @property
    def has_point(self) -> bool:
        """Whether the source gives this place its own coordinates."""
        return self.lat == self.lat and self.lon == self.lon  # not NaN


@dataclass(frozen=True)
class Unit:
    """A province or district: P-code, names and label point."""

    pcode: str
    name: str
    name_da: str
    parent: str  # province P-code of a district ("AF" for a province)
    lat: float
    lon: float


#: What a phrase of ``afg_place_context.csv`` says about a capital named beside it:
#: ``city`` anywhere in the text, ``city_named`` only with a name of its own beside it
#: ("the Hud Khel area"), ``capital`` joined to a province's name at ``X`` ("ساختمان ولایت X");
#: ``not_context`` rows are listed (with their reason) so that nobody adds them.
CONTEXT_CITY, CONTEXT_CITY_NAMED, CONTEXT_CAPITAL, CONTEXT_NOT = "city", "city_named", "capital", "not_context"
CONTEXT_READS = (CONTEXT_CITY, CONTEXT_CITY_NAMED, CONTEXT_CAPITAL, CONTEXT_NOT)
#: The placeholder for the province's name in a ``capital`` phrase.
CONTEXT_SLOT = "X"


#: Endings a Dari word takes without changing what it names: izafe or indefinite ی, plurals.
_DARI_ENDINGS = ("ی", "ها", "های")


@dataclass(frozen=True)
class ContextPhrase:
    """One row of ``afg_place_context.csv``: normalised tokens and what they say.

    ``before``/``after`` are the tokens around the province's name of a ``capital`` phrase;
    ``words`` the tokens of any other phrase; ``prefix``: the last token is a stem
    (``meczet*`` matches ``meczetu``). A Latin last word also matches with an ``s``
    (plural, or a possessive whose apostrophe normalisation dropped: ``embassys``), an
    Arabic-script one with a Dari ending (:data:`_DARI_ENDINGS`: ``منطقهی``, ``مسجدی``, ``بازارها``).

    Examples
    --------
    >>> ContextPhrase("embassy", "city", words=("embassy",)).matches(["the", "embassys", "yard"], 1)
    True
    >>> ContextPhrase("meczet*", "city", words=("meczet",), prefix=True).matches(["meczetu"], 0)
    True
    """

    phrase: str
    reads: str
    words: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    prefix: bool = False

    def matches(self, words: list[str], i: int) -> bool:
        """Whether the phrase (``words``) starts at ``words[i]``."""
        n = len(self.words)
        if i + n > len(words):
            return False
        head, last = self.words[:-1], self.words[-1]
        if tuple(words[i : i + n - 1]) != head:
            return False
        word = words[i + n - 1]
        if self.prefix:
            return word.startswith(last)
        if word == last:
            return True
        if _ARABIC_LETTER.match(last):
            # Dari izafe or indefinite ی and plurals: منطقهی تتمدره, مسجدی, بازارها.
            return word[len(last) :] in _DARI_ENDINGS and word.startswith(last)
        # An English plural or possessive (apostrophe dropped): "mosques", "the embassy's yard".
        return word == last + "s"


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
    weak_keys: frozenset[str] = field(default=frozenset())  # keys of names that need a marker
    with_iec: bool = False  # the IEC settlements and district spellings were read
    city_wards: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict)  # key -> district -> wards
    context: tuple[ContextPhrase, ...] = ()  # afg_place_context.csv, not_context rows left out
    # The same phrases for fast lookup: urban ones by their first word (stems apart), office ones
    # by the word next to the province's name (before it, after it).
    context_first: dict[str, tuple[ContextPhrase, ...]] = field(default_factory=dict)
    context_stems: tuple[ContextPhrase, ...] = ()
    capital_before: dict[str, tuple[ContextPhrase, ...]] = field(default_factory=dict)
    capital_after: dict[str, tuple[ContextPhrase, ...]] = field(default_factory=dict)

    def urban_phrases_at(self, words: list[str], i: int) -> list[ContextPhrase]:
        """The urban-context phrases (``city``, ``city_named``) that start at ``words[i]``."""
        word = words[i]
        heads = {word}
        if word.endswith("s"):
            heads.add(word[:-1])
        heads.update(word[: -len(end)] for end in _DARI_ENDINGS if word.endswith(end) and len(word) > len(end))
        found = [c for h in heads for c in self.context_first.get(h, ()) if c.matches(words, i)]
        found += [c for c in self.context_stems if c.matches(words, i)]
        return found

    def lookup(self, key: str) -> tuple[Entry, ...]:
        """Entries whose key is ``key`` (empty tuple when none)."""
        return self.index.get(key, ())

    def province_code(self, text: str) -> str | None:
        """The P-code of the province ``text`` names (P-code, OCHA, common or local spelling), else None.

        Examples
        --------
        >>> g = load_gazetteer()
        >>> [g.province_code(t) for t in ("Herat", "hirat", "AF32", "Panjshir", "Helmand", "Kunduz", "Narnia")]
        ['AF32', 'AF32', 'AF32', 'AF08', 'AF30', 'AF19', None]
        """
        value = str(text or "").strip()
        if value.upper() in self.provinces:
            return value.upper()
        codes = {e.adm1_pcode for e in self.lookup(name_key(value)) if e.kind == "province"}
        return codes.pop() if len(codes) == 1 else None


def _split(value) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [v.strip() for v in value.split("|") if v.strip()]


def _read(path: Path, *, required: tuple[str, ...] = ()) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(
            f"gazetteer file {path} not found; set ${settings.GAZETTEER_ENV} to the folder holding "
            f"{', '.join(settings.GAZETTEER_FILES)}"
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"gazetteer file {path}: expected columns {list(required)}, missing {missing}")
    return frame


class _Index:
    """The index being built: key -> entries, with the rules that decide what is indexed."""

    def __init__(self, weak_keys: frozenset[str], not_place_keys: frozenset[str]):
        self.entries: dict[str, list[Entry]] = {}
        self.max_tokens = 1
        self.weak_keys = weak_keys
        self.not_place_keys = not_place_keys

    def add(self, spelling: str, entry_kw: dict, *, notes: bool = True) -> None:
        """Index ``spelling`` (and, with ``notes``, the parts of a bracketed note) for one unit."""
        parts = [spelling]
        if notes:
            # Dari names carry notes in brackets, e.g. "خنج (حصه اول)": index both parts.
            parts += re.findall(r"\(([^)]*)\)", spelling) + [re.sub(r"\([^)]*\)", " ", spelling)]
        # Arabic has no گ: it writes ج or غ (سمنجان, ننغرهار, أروزجان).
        parts += [p.replace("گ", x).replace("ګ", x) for p in list(parts) if "گ" in p or "ګ" in p for x in "جغ"]
        for part in dict.fromkeys(p.strip() for p in parts if p.strip()):
            toks = tokens(part)
            key = key_from_tokens(toks)
            is_district = entry_kw["kind"] == "district"
            if len(key) < 3 and not (len(key) == 2 and _ARABIC_LETTER.match(key) and is_district):
                continue  # two-letter Dari district names (چک) are kept, as weak names
            self.max_tokens = max(self.max_tokens, len(toks))
            e = Entry(matched=part, weak=key in self.weak_keys or len(key) < 3, **entry_kw)
            bucket = self.entries.setdefault(key, [])
            if not any(
                b.kind == e.kind and b.adm1_pcode == e.adm1_pcode and b.adm2_pcode == e.adm2_pcode for b in bucket
            ):
                bucket.append(e)


def _load_units(base: Path) -> tuple[dict[str, Unit], dict[str, Unit], dict[str, str], pd.DataFrame]:
    """Provinces, districts and each province's capital district from ``afg_admin_units.csv``."""
    units = _read(base / settings.ADMIN_UNITS_FILE, required=("level", "pcode", "name_en", "name_da", "parent_pcode"))
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
    return provinces, districts, centre_of, units


def _load_rules(base: Path) -> tuple[frozenset[str], frozenset[str]]:
    """Keys of names that need a marker, and of names never indexed as places (``afg_name_rules.csv``)."""
    rules = _read(base / settings.NAME_RULES_FILE, required=("name", "rule", "reason"))
    bad = sorted(set(rules["rule"]) - {RULE_NEEDS_MARKER, RULE_NOT_A_PLACE})
    if bad:
        raise InputError(
            f"{settings.NAME_RULES_FILE}: rule must be {RULE_NEEDS_MARKER} or {RULE_NOT_A_PLACE}, got {bad}",
            field="rule",
        )
    weak = frozenset(name_key(n) for n, r in zip(rules["name"], rules["rule"], strict=True) if r == RULE_NEEDS_MARKER)
    never = frozenset(name_key(n) for n, r in zip(rules["name"], rules["rule"], strict=True) if r == RULE_NOT_A_PLACE)
    return weak, never


def _load_context(base: Path) -> tuple[ContextPhrase, ...]:
    """The phrases of ``afg_place_context.csv`` that read a capital as its city (``not_context`` rows dropped).

    Raises :class:`InputError` naming the line and the field for an unknown ``reads`` or a
    ``capital`` phrase without exactly one ``X``.
    """
    table = _read(base / settings.PLACE_CONTEXT_FILE, required=("phrase", "reads", "language", "reason"))
    out = []
    for line, r in enumerate(table.itertuples(index=False), start=2):
        where = f"{settings.PLACE_CONTEXT_FILE} line {line}"
        if r.reads not in CONTEXT_READS:
            raise InputError(f"{where}: reads must be one of {list(CONTEXT_READS)}, got {r.reads!r}", field="reads")
        if not r.reason.strip():
            raise InputError(f"{where}: reason must say why the phrase is (or is not) read, got ''", field="reason")
        raw = r.phrase.split()
        slots = [k for k, w in enumerate(raw) if w == CONTEXT_SLOT]
        if (r.reads == CONTEXT_CAPITAL) != (len(slots) == 1):
            want = "exactly one X (where the province's name goes)" if r.reads == CONTEXT_CAPITAL else "no X"
            raise InputError(f"{where}: a {r.reads} phrase needs {want}, got {r.phrase!r}", field="phrase")
        if r.reads == CONTEXT_NOT:
            continue
        if slots:
            k = slots[0]
            before = tuple(tokens(" ".join(raw[:k])))
            after = tuple(tokens(" ".join(raw[k + 1 :])))
            out.append(ContextPhrase(r.phrase, r.reads, before=before, after=after))
            continue
        words = tuple(tokens(r.phrase.rstrip("*")))
        if not words:
            raise InputError(f"{where}: phrase has no word, got {r.phrase!r}", field="phrase")
        out.append(ContextPhrase(r.phrase, r.reads, words=words, prefix=r.phrase.endswith("*")))
    return tuple(out)


def _context_lookup(context: tuple[ContextPhrase, ...]) -> dict:
    """The :class:`Gazetteer` lookup fields for ``context`` (see ``Gazetteer.context_first``)."""
    first: dict[str, list[ContextPhrase]] = {}
    before: dict[str, list[ContextPhrase]] = {}
    after: dict[str, list[ContextPhrase]] = {}
    stems = []
    for c in context:
        if c.reads == CONTEXT_CAPITAL:
            if c.before:
                before.setdefault(c.before[-1], []).append(c)
            if c.after:
                after.setdefault(c.after[0], []).append(c)
        elif c.prefix and len(c.words) == 1:
            stems.append(c)
        else:
            first.setdefault(c.words[0], []).append(c)
    return {
        "context_first": {k: tuple(v) for k, v in first.items()},
        "context_stems": tuple(stems),
        "capital_before": {k: tuple(v) for k, v in before.items()},
        "capital_after": {k: tuple(v) for k, v in after.items()},
    }


def _index_admin_names(ix: _Index, provinces, districts, centre_of, units: pd.DataFrame, variants) -> None:
    """Province and district names: AGCHO English and Dari, OCHA alternatives, province variants, short forms."""
    for pcode, u in provinces.items():
        kw = dict(kind="province", adm1_pcode=pcode, adm2_pcode="", name=u.name, lat=u.lat, lon=u.lon, level="province")
        ix.add(u.name, {**kw, "source": "name"})
        ix.add(u.name_da, {**kw, "source": "Dari name"})
    for r in variants.itertuples(index=False):
        u = provinces[r.adm1_pcode]
        kw = dict(kind="province", adm1_pcode=r.adm1_pcode, adm2_pcode="", name=u.name, lat=u.lat, lon=u.lon)
        for v in _split(r.name_variants) + [r.name_da, getattr(r, "common_name_en", "")]:
            if v:
                ix.add(v, {**kw, "source": "province variant", "level": "province"})
    alt_by_pcode = dict(zip(units["pcode"], units["alt_names_en"], strict=False))
    for pcode, u in districts.items():
        kw = _district_kw(districts, centre_of, pcode)
        ix.add(u.name, {**kw, "source": "name"})
        ix.add(u.name_da, {**kw, "source": "Dari name"})
        for alt in _split(alt_by_pcode.get(pcode)):
            if alt != "Centre":
                ix.add(alt, {**kw, "source": "OCHA alternative name"})
    # A short form shared with another district's exact name ("Nawa" for Nawa-e-Barakzaiy as
    # well as the Nawa district of Ghazni; "Kushk", "خاش") is indexed for both, so that the
    # province named decides, or the answer is ambiguous.
    index = ix.entries
    for pcode, u in districts.items():
        for full in (u.name, u.name_da):
            toks = tokens(re.sub(r"\([^)]*\)", " ", full))
            if len(toks) < 2:
                continue
            first = key_from_tokens([toks[0]])
            others = [e for e in index.get(first, []) if e.kind == "district" and e.adm2_pcode != pcode]
            mine = [e for e in index.get(first, []) if e.adm2_pcode == pcode]
            if others and not mine and first not in ix.weak_keys and len(first) >= 3:
                index[first].append(
                    Entry(**_district_kw(districts, centre_of, pcode), matched=toks[0], source="short form")
                )


def _district_kw(districts, centre_of, pcode: str) -> dict:
    u = districts[pcode]
    return dict(
        kind="district",
        adm1_pcode=u.parent,
        adm2_pcode=pcode,
        name=u.name,
        lat=u.lat,
        lon=u.lon,
        centre=centre_of.get(u.parent) == pcode,
        level="district",
    )


def _index_name_table(ix: _Index, table: pd.DataFrame, provinces, districts, centre_of, towns_first) -> None:
    """Our own spelling table (``afg_name_variants.csv``): each row a name, its level and its parents."""
    for i, r in enumerate(table.itertuples(index=False), start=2):
        where = f"{settings.NAME_VARIANTS_FILE} line {i}"
        if r.level not in LEVELS:
            raise InputError(f"{where}: level must be one of {list(LEVELS)}, got {r.level!r}", field="level")
        if r.adm1_pcode not in provinces:
            raise InputError(f"{where}: adm1_pcode {r.adm1_pcode!r} is not a province", field="adm1_pcode")
        if r.level == "province":
            u = provinces[r.adm1_pcode]
            kw = dict(kind="province", adm1_pcode=r.adm1_pcode, adm2_pcode="", name=u.name, lat=u.lat, lon=u.lon)
            ix.add(r.name, {**kw, "source": "province variant", "level": "province"})
            continue
        d = districts.get(r.adm2_pcode)
        if d is None or d.parent != r.adm1_pcode:
            raise InputError(
                f"{where}: adm2_pcode {r.adm2_pcode!r} is not a district of {r.adm1_pcode}", field="adm2_pcode"
            )
        if r.level == "district":
            ix.add(r.name, {**_district_kw(districts, centre_of, r.adm2_pcode), "source": "alias"})
            continue
        # A neighbourhood or site marks its city: it is answered at the city's point.
        town = towns_first.get(r.adm2_pcode)
        ix.add(
            r.name,
            dict(
                kind="place",
                adm1_pcode=d.parent,
                adm2_pcode=r.adm2_pcode,
                name=r.name,
                lat=town[0] if town else d.lat,
                lon=town[1] if town else d.lon,
                source="neighbourhood",
                level=r.level,
            ),
        )


def _index_geonames(ix: _Index, geonames: pd.DataFrame) -> dict[str, Entry]:
    """GeoNames towns (and their alternate names); returns each district's main town."""
    admin_keys = set(ix.entries)
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
            level="settlement",
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
            if k in ix.not_place_keys or (is_alt and k in admin_keys):
                continue
            ix.add(spelling, kw)
    return towns


def _index_iec(ix: _Index, folder: Path, provinces, districts, centre_of) -> dict[str, dict[str, frozenset[int]]]:
    """The IEC 2019 district spellings and settlements (GPL-3.0 component); returns city wards.

    District spellings are indexed as districts, except bracketed province names
    ("MUQUR (GHAZNI)") and office words ("PROVINCIAL CENTER (KABUL)"). Settlements
    (English, Dari, Pashto names) are indexed as ``place`` entries without a point;
    those in a numbered city subdivision ("KABUL CITY NAHIA 08") are neighbourhoods,
    and their ward numbers are returned: key -> district -> wards.
    """
    variants = _read(folder / settings.IEC_DISTRICT_VARIANTS_FILE, required=("name", "source", "adm2_pcode", "note"))
    province_keys = {k for k, es in ix.entries.items() if any(e.kind == "province" for e in es)}
    for r in variants.itertuples(index=False):
        if r.adm2_pcode not in districts:
            continue
        newer = "; a district created after 2018, inside this 2018 district" if r.note else ""
        kw = {
            **_district_kw(districts, centre_of, r.adm2_pcode),
            "source": f"IEC district spelling ({r.source}{newer})",
        }
        outside = re.sub(r"\([^)]*\)", " ", r.name)
        inside = re.findall(r"\(([^)]*)\)", r.name)
        for part in [outside, *inside]:
            toks = tokens(part)
            if toks and toks[-1] == "city" and len(toks) > 1:
                # "KABUL CITY": index the name only, so that the text's own "city" stays a marker.
                toks = toks[:-1]
                part = " ".join(toks)
            if not toks or set(toks) <= _OFFICE_WORDS or key_from_tokens(toks) in province_keys:
                continue  # "PROVINCIAL CENTER", "(GHAZNI)": not a district name
            ix.add(part, kw, notes=False)

    settlements = _read(
        folder / settings.IEC_SETTLEMENTS_FILE,
        required=("place_en", "place_da", "place_ps", "subdivision_en", "adm1_pcode", "adm2_pcode"),
    )
    wards: dict[str, dict[str, set[int]]] = {}
    admin_keys = set(ix.entries)
    for r in settlements.itertuples(index=False):
        if r.adm2_pcode not in districts:
            continue
        ward = re.search(r"NAHIA\s*0*(\d+)", r.subdivision_en)
        level = "neighbourhood" if ward else "settlement"
        kw = dict(
            kind="place",
            adm1_pcode=districts[r.adm2_pcode].parent,
            adm2_pcode=r.adm2_pcode,
            name=r.place_en,
            lat=math.nan,
            lon=math.nan,
            source="IEC 2019 " + level,
            level=level,
        )
        for raw in (r.place_en, r.place_da, r.place_ps):
            for name in re.split(r"[,،/]", raw):
                name = _SETTLEMENT_WORDS.sub(" ", name).strip()
                k = name_key(name)
                if len(k) < 4 or k in ix.not_place_keys or k in admin_keys or _ADMIN_WORDS.search(normalize_text(name)):
                    continue  # short, everyday or administrative names; names of provinces or districts
                ix.add(name, kw, notes=False)
                if ward:
                    wards.setdefault(k, {}).setdefault(r.adm2_pcode, set()).add(int(ward.group(1)))
    _index_iec_sites(ix, settlements, districts, admin_keys)
    return {k: {d: frozenset(w) for d, w in v.items()} for k, v in wards.items()}


#: An IEC polling-centre site is indexed only when its name says what it is (a school, a mosque...)
#: and has a word of its own besides these ("Abdul Rahim Shaheed High School", not "High School").
_SITE_TYPES = frozenset(
    {"school", "mosque", "madrassah", "madrasa", "madrasah", "clinic", "hospital", "directorate", "institute"}
    | {normalize_text(w) for w in ("مکتب", "لیسه", "مسجد", "مدرسه", "کلینیک", "شفاخانه", "ریاست")}
)
_SITE_GENERIC = _SITE_TYPES | frozenset(
    {"high", "secondary", "primary", "girls", "boys", "jame", "jami", "village", "district", "building", "center"}
    | {"centre", "new", "old", "no", "number", "and", "of", "the", "e", "i", "ye"}
    | {normalize_text(w) for w in ("عالی", "متوسطه", "ابتداییه", "ابتدائیه", "ذکور", "اناث", "جامع", "قریه")}
)


def _index_iec_sites(ix: _Index, settlements: pd.DataFrame, districts, admin_keys: set[str]) -> None:
    """IEC polling-centre sites ("Abdul Rahim Shaheed High School", "مسجد اصحاب کهف") as ``site`` entries.

    Only a site whose name says what it is (:data:`_SITE_TYPES`), has a word of its own, and is
    listed in one district: like villages, sites have no point and are context (they settle a
    choice the text leaves open), never an answer alone.
    """
    where: dict[str, set[str]] = {}
    names: dict[str, tuple[str, str]] = {}
    for r in settlements.itertuples(index=False):
        if r.adm2_pcode not in districts:
            continue
        for raw in (r.site_en, r.site_da):
            toks = tokens(raw)
            if not toks or not set(toks) & _SITE_TYPES or set(toks) <= _SITE_GENERIC:
                continue
            key = key_from_tokens(toks)
            if len(key) < 8 or key in admin_keys or key in ix.not_place_keys:
                continue
            where.setdefault(key, set()).add(r.adm2_pcode)
            names.setdefault(key, (raw, r.adm2_pcode))
    for key, ds in where.items():
        if len(ds) != 1:
            continue  # "Imam Zaman Mosque" in two districts: too common to settle anything
        raw, d = names[key]
        kw = dict(
            kind="place",
            adm1_pcode=districts[d].parent,
            adm2_pcode=d,
            name=raw,
            lat=math.nan,
            lon=math.nan,
            source="IEC 2019 site",
            level="site",
        )
        ix.add(raw, kw, notes=False)


@functools.lru_cache(maxsize=4)
def _build(folder: str) -> Gazetteer:
    base = Path(folder)
    provinces, districts, centre_of, units = _load_units(base)
    variants = _read(base / settings.PROVINCE_VARIANTS_FILE, required=("adm1_pcode", "name_da", "name_variants"))
    geonames = _read(base / settings.GEONAMES_FILE)
    table = _read(base / settings.NAME_VARIANTS_FILE, required=NAME_TABLE_COLUMNS)
    weak, never = _load_rules(base)
    context = _load_context(base)
    ix = _Index(weak, never)

    towns_first: dict[str, tuple[float, float]] = {}
    rank0 = {"PPLC": 0, "PPLA": 1}
    for r in sorted(geonames.itertuples(index=False), key=lambda r: rank0.get(r.feature_code, 2)):
        if r.feature_code in rank0:
            towns_first.setdefault(r.adm2_pcode, (float(r.latitude), float(r.longitude)))

    _index_admin_names(ix, provinces, districts, centre_of, units, variants)
    _index_name_table(ix, table, provinces, districts, centre_of, towns_first)
    iec = base / settings.IEC_DIR_NAME
    with_iec = (iec / settings.IEC_SETTLEMENTS_FILE).is_file()
    wards = _index_iec(ix, iec, provinces, districts, centre_of) if with_iec else {}
    towns = _index_geonames(ix, geonames)

    frozen = {k: tuple(v) for k, v in ix.entries.items()}
    dkeys = tuple(k for k, v in frozen.items() if any(e.kind == "district" for e in v))
    pkeys = tuple(k for k, v in frozen.items() if any(e.kind == "province" for e in v))

    def names(code: str) -> set[str]:
        es = [e for v in frozen.values() for e in v if (e.adm2_pcode or e.adm1_pcode) == code and e.kind != "place"]
        return {name_key(e.matched) for e in es if e.source in ("name", "Dari name", "OCHA alternative name")}

    same = frozenset(d for p, d in centre_of.items() if names(d) & names(p))
    return Gazetteer(
        frozen,
        provinces,
        districts,
        centre_of,
        towns,
        ix.max_tokens,
        same,
        dkeys,
        pkeys,
        weak_keys=weak,
        with_iec=with_iec,
        city_wards=wards,
        context=context,
        **_context_lookup(context),
    )


#: Columns of ``afg_name_variants.csv``.
NAME_TABLE_COLUMNS = ("name", "level", "adm1_pcode", "adm2_pcode", "source", "reason")


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
        When a gazetteer file is missing (the message names the folder and the variable),
        or a row of the name table names an unknown level or P-code.

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
