"""Language detection for article text: ISO 639-1 codes, declared language as a prior.

Public API: ``detect_language``, ``LanguageResult``, ``normalize_language_code``.
See docs/language.md for the design and the benchmark numbers behind it.
"""

from monitor.language.codes import normalize_language_code
from monitor.language.detector import LanguageResult, detect_language

__all__ = ["LanguageResult", "detect_language", "normalize_language_code"]
