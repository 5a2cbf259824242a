"""One entry point for the extract stage over any fetched document: HTML or PDF, plus catalogue selectors.

``extract_document`` chooses the extractor by content type (PDF press releases
go to pypdf, everything else to ``extract_article``) and then lets the source's
catalogue selectors override the fields they name.
"""

from __future__ import annotations

from monitor.extract import Extracted, extract_article
from monitor.extract.pdf import extract_pdf, is_pdf
from monitor.extract.selectors import apply_selectors


def extract_document(body: str | bytes, url: str | None = None, *, content_type: str | None = None,
                     selectors: dict[str, str] | None = None) -> Extracted:
    """Extract an article from an HTML page or a PDF document."""
    if is_pdf(body, content_type):
        return extract_pdf(body if isinstance(body, bytes) else body.encode("latin-1"), url)
    return apply_selectors(extract_article(body, url), body, selectors)
