"""Normalize what pages declare ("fr-FR", "fr_FR", "French", "deu", "nb") to ISO 639-1.

Why: declared languages come from ``<html lang>``, ``og:locale``, feed ``<language>``
and catalogue entries in every spelling; the detector uses them as a prior and the
database stores ISO 639-1 only. Norwegian Bokmål/Nynorsk are reported as ``no``.
"""

from __future__ import annotations

import re

#: ISO 639-1 codes this module knows (the covered set plus common neighbours).
ISO1: frozenset[str] = frozenset(
    "af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gl he hi hr hu hy id is it "
    "ja ka kk ko la lb lt lv mk ms mt nl no pl pt ro ru sk sl sq sr sv sw ta th tl tr uk ur vi zh".split()
)
_ALIASES: dict[str, str] = {
    # ISO 639-1 variants and macrolanguage members
    "nb": "no", "nn": "no", "sh": "hr", "iw": "he", "in": "id", "ji": "yi",
    # ISO 639-2/T and 639-2/B codes
    "bul": "bg", "ces": "cs", "cze": "cs", "dan": "da", "deu": "de", "ger": "de", "ell": "el",
    "gre": "el", "eng": "en", "spa": "es", "est": "et", "fin": "fi", "fra": "fr", "fre": "fr",
    "gle": "ga", "hrv": "hr", "hun": "hu", "ita": "it", "lit": "lt", "lav": "lv", "mlt": "mt",
    "nld": "nl", "dut": "nl", "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro", "slk": "sk",
    "slo": "sk", "slv": "sl", "swe": "sv", "rus": "ru", "ukr": "uk", "ara": "ar", "tur": "tr",
    "srp": "sr", "bos": "bs", "sqi": "sq", "alb": "sq", "mkd": "mk", "mac": "mk", "nor": "no",
    "nob": "no", "nno": "no", "cat": "ca", "eus": "eu", "baq": "eu", "glg": "gl", "isl": "is",
    "ice": "is", "ltz": "lb", "zho": "zh", "chi": "zh", "jpn": "ja", "kor": "ko", "heb": "he",
    "fas": "fa", "per": "fa", "hin": "hi", "cym": "cy", "wel": "cy", "bel": "be",
    # English names of the covered languages (lower-case)
    "bulgarian": "bg", "czech": "cs", "danish": "da", "german": "de", "greek": "el",
    "english": "en", "spanish": "es", "castilian": "es", "estonian": "et", "finnish": "fi",
    "french": "fr", "irish": "ga", "gaelic": "ga", "croatian": "hr", "hungarian": "hu",
    "italian": "it", "lithuanian": "lt", "latvian": "lv", "maltese": "mt", "dutch": "nl",
    "flemish": "nl", "polish": "pl", "portuguese": "pt", "romanian": "ro", "slovak": "sk",
    "slovenian": "sl", "slovene": "sl", "swedish": "sv", "russian": "ru", "ukrainian": "uk",
    "arabic": "ar", "turkish": "tr", "serbian": "sr", "bosnian": "bs", "albanian": "sq",
    "macedonian": "mk", "norwegian": "no", "bokmal": "no", "bokmål": "no", "nynorsk": "no",
    "catalan": "ca", "chinese": "zh", "japanese": "ja", "korean": "ko",
}
_SEPARATOR = re.compile(r"[-_.@\s]")


def normalize_language_code(value: str | None) -> str | None:
    """ISO 639-1 code for a declared language tag or name, or None when unknown.

    Accepts BCP 47 tags ("fr-FR", "sr-Latn-RS"), POSIX locales ("fr_FR.UTF-8"),
    ISO 639-2 codes ("deu", "fre") and English names ("French"). Norwegian variants
    become "no". Empty, "und", "mul", "zxx" and unrecognised values give None.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"language code must be a string or None, got {type(value).__name__}: {value!r}")
    text = value.strip().lower()
    if not text:
        return None
    if text in _ALIASES:
        return _ALIASES[text]
    primary = _SEPARATOR.split(text, maxsplit=1)[0]
    if primary in _ALIASES:
        return _ALIASES[primary]
    if primary in ISO1:
        return primary
    return None
