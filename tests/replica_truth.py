"""Ground truth of the bundled replica (``monitor/replica/truth.json``), for the crawl tests."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from monitor.replica import TRUTH

TRUTH_ARTICLES: list[dict[str, Any]] = json.loads(TRUTH.read_text(encoding="utf-8")) if TRUTH.exists() else []


def norm(text: str | None) -> str:
    """Case, punctuation and whitespace folded, for exact-match comparisons."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def truth_url(base_url: str, article: dict[str, Any]) -> str:
    return f"{base_url}/{article['site']}{article['path']}"
