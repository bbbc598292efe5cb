"""Armed-group names: the canonical list and the aliases reports use.

Reports name groups in English, Dari, Pashto and Arabic, with hashtags and
abbreviations. :func:`normalize_group` maps any of them to one of
:data:`GROUPS`; the name as reported is kept by callers in ``actor1``.
"""

from __future__ import annotations

import re
import unicodedata

#: Canonical group codes, in the order the app lists them.
GROUPS: tuple[str, ...] = ("NRF", "AFF", "ISKP", "ALM", "TTP", "Taliban/IEA", "Other", "Unknown")

#: Long names, for legends and the About page.
GROUP_LABELS: dict[str, str] = {
    "NRF": "National Resistance Front",
    "AFF": "Afghanistan Freedom Front",
    "ISKP": "Islamic State Khorasan Province",
    "ALM": "Afghanistan Liberation Movement",
    "TTP": "Tehrik-e-Taliban Pakistan",
    "Taliban/IEA": "Taliban / Islamic Emirate of Afghanistan",
    "Other": "Other armed groups",
    "Unknown": "Unidentified perpetrators",
}

#: Map colour of each group (colour-blind-safe Okabe-Ito palette).
GROUP_COLORS: dict[str, str] = {
    "NRF": "#009E73",
    "AFF": "#D55E00",
    "ISKP": "#000000",
    "ALM": "#CC79A7",
    "TTP": "#56B4E9",
    "Taliban/IEA": "#F0E442",
    "Other": "#0072B2",
    "Unknown": "#999999",
}

#: Aliases, written as reports write them; matching ignores case, hashtags,
#: punctuation, diacritics and zero-width characters.
GROUP_ALIASES: dict[str, tuple[str, ...]] = {
    "NRF": (
        "NRF",
        "National Resistance Front",
        "National Resistance Front of Afghanistan",
        "NRF: National Resistance Front",
        "NRFA",
        "Panjshir resistance",
        "جبهه مقاومت ملی",
        "جبهه مقاومت ملی افغانستان",
        "جبهۀ مقاومت ملی",
        "جبهه‌ی مقاومت ملی",
        "د مقاومت ملي جبهه",
        "ملي مقاومت جبهه",
        "جبهة المقاومة الوطنية",
        "جبهة المقاومة الوطنية الأفغانية",
    ),
    "AFF": (
        "AFF",
        "Afghanistan Freedom Front",
        "Afghan Freedom Front",
        "AFF: Afghanistan Freedom Front",
        "جبهه آزادی افغانستان",
        "جبهه آزادي افغانستان",
        "جبهۀ آزادی افغانستان",
        "د افغانستان د آزادۍ جبهه",
        "جبهة حرية أفغانستان",
        "جبهة تحرير أفغانستان",
    ),
    "ISKP": (
        "ISKP",
        "ISIS-K",
        "ISIS K",
        "IS-K",
        "ISK",
        "Islamic State Khorasan",
        "Islamic State Khorasan Province",
        "Islamic State of Iraq and the Levant - Khorasan Province",
        "Islamic State (Afghanistan)",
        "Daesh",
        "داعش",
        "داعش خراسان",
        "دولت اسلامی خراسان",
        "ولایت خراسان",
        "ولاية خراسان",
    ),
    "ALM": (
        "ALM",
        "Afghanistan Liberation Movement",
        "Afghanistan Islamic National and Liberation Movement",
        "جنبش آزادی‌بخش افغانستان",
        "جنبش آزادیبخش افغانستان",
    ),
    "TTP": (
        "TTP",
        "Tehrik-e-Taliban Pakistan",
        "Tehreek-e-Taliban Pakistan",
        "Pakistani Taliban",
        "تحریک طالبان پاکستان",
    ),
    "Taliban/IEA": (
        "Taliban/IEA",
        "Taliban",
        "IEA",
        "Islamic Emirate",
        "Islamic Emirate of Afghanistan",
        "Taleban",
        "طالبان",
        "امارت اسلامی",
        "امارت اسلامی افغانستان",
        "اسلامي امارت",
    ),
    "Unknown": (
        "Unknown",
        "Unidentified",
        "Unidentified gunmen",
        "Unidentified armed men",
        "Unknown gunmen",
        "افراد مسلح ناشناس",
        "ناشناس",
    ),
    "Other": ("Other",),
}


def _key(text: str) -> str:
    """Fold a group name for matching: NFKC, no diacritics or ZWNJ, Arabic letters unified, lower case."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("\u200c", "").replace("\u200d", "").replace("\u200f", "")
    text = text.translate(
        str.maketrans({"ي": "ی", "ك": "ک", "ۀ": "ه", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ی"})
    )
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = re.sub(r"[#@()\[\]{}.,:;'\"’‘\-_/]", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


_ALIAS_INDEX: dict[str, str] = {_key(a): g for g, aliases in GROUP_ALIASES.items() for a in aliases}
_ALIAS_INDEX.update({_key(g): g for g in GROUPS})


def normalize_group(name: object) -> str:
    """Return the canonical group code for a group name as reported.

    ``"Other:<name>"`` (the bundled data's form) maps to the group ``<name>`` is
    known as (``"Other:Unidentified gunmen"`` is ``"Unknown"``), else ``"Other"``;
    names we do not know map to ``"Other"``; an empty value maps to ``"Unknown"``.

    Parameters
    ----------
    name : object
        The group as written in a report or a data file.

    Returns
    -------
    str
        One of :data:`GROUPS`.

    Examples
    --------
    >>> normalize_group("#NRF")
    'NRF'
    >>> normalize_group("جبهه آزادی افغانستان")
    'AFF'
    >>> normalize_group("Other:National Azadagan Front")
    'Other'
    """
    if name is None or (isinstance(name, float) and name != name):
        return "Unknown"
    text = str(name).strip()
    if not text:
        return "Unknown"
    if text.lower().startswith("other:"):
        inner = text.split(":", 1)[1].strip()
        return normalize_group(inner) if inner else "Other"
    key = _key(text)
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    # Longest alias contained in a longer phrase ("NRF: National Resistance Front (Afghanistan)").
    best = None
    for alias, group in _ALIAS_INDEX.items():
        if len(alias) >= 3 and re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", key):
            if best is None or len(alias) > len(best[0]):
                best = (alias, group)
    return best[1] if best else "Other"


def group_actor_name(name: object) -> str:
    """The actor's own name, for ``actor1``: ``"Other:X"`` gives ``"X"``, a code gives its long name."""
    text = "" if name is None or (isinstance(name, float) and name != name) else str(name).strip()
    if text.lower().startswith("other:"):
        return text.split(":", 1)[1].strip()
    return GROUP_LABELS.get(text, text)
