"""Official documents published as PDF: title, date, authors and text with pypdf.

Councils, ministries and coalitions often publish press releases only as PDF.
pypdf (pure Python) reads the document information (Title, Author, CreationDate)
and the text layer; when the metadata is missing or generic, the first line is
the title and the first date written near the top is the publication date.
Scanned PDFs without a text layer give empty text, which the extract stage
reports as an empty extraction like any other.
"""

from __future__ import annotations

import re
from io import BytesIO

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from monitor.dates import parse_datetime
from monitor.extract import Extracted
from monitor.extract.authors import clean_authors

PDF_MAGIC = b"%PDF-"
MAX_PAGES = 50  # press releases are short; a 900-page report is not an article
_GENERIC_TITLES = re.compile(r"^(untitled|microsoft word|document\d*|press release|communiqué)\b", re.IGNORECASE)
_DATE_IN_TEXT = re.compile(
    r"\b(\d{1,2}(?:er)?\s+[A-Za-zéûäÄ]+\.?\s+\d{4}|[A-Za-z]+\s+\d{1,2},\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4})\b"
)
# Document-information authors are often an office, not a person ("CJTF-OIR Public Affairs", "Press Office").
_NOT_A_PERSON = re.compile(r"\b(affairs|office|press|service|ministry|ministère|department|command|secretariat|"
                           r"directorate|unit|team|staff|division|public|spokesperson|porte-parole|referat)\b|\d",
                           re.IGNORECASE)
_FRENCH_MONTHS = {"janvier": "January", "février": "February", "fevrier": "February", "mars": "March",
                  "avril": "April", "mai": "May", "juin": "June", "juillet": "July", "août": "August",
                  "aout": "August", "septembre": "September", "octobre": "October", "novembre": "November",
                  "décembre": "December", "decembre": "December"}


def is_pdf(body: bytes | str, content_type: str | None = None) -> bool:
    """True when the response is a PDF, by Content-Type or by its magic bytes."""
    if content_type and content_type.split(";")[0].strip().lower() == "application/pdf":
        return True
    return isinstance(body, (bytes, bytearray)) and body[:1024].lstrip().startswith(PDF_MAGIC)


def extract_pdf(data: bytes, url: str | None = None) -> Extracted:
    """Title, authors, date and text of a PDF; ``ValueError`` naming ``url`` when it is not a readable PDF."""
    try:
        reader = PdfReader(BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PAGES]]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{url or 'document'}: not a readable PDF ({exc})") from exc
    lines = [" ".join(line.split()) for page in pages for line in page.splitlines()]
    lines = [line for line in lines if line]
    title = (info.title or "").strip() if info else ""
    if not title or _GENERIC_TITLES.match(title):
        title = lines[0] if lines else ""
    published = _date_in_lines(lines[:15]) or (parse_datetime(info.creation_date) if info and info.creation_date else None)
    authors = [name for name in clean_authors([info.author]) if not _NOT_A_PERSON.search(name)] \
        if info and info.author else []
    body = [line for line in lines if line != title]
    return Extracted(title=title or None, authors=authors, published=published, text=_paragraphs(body),
                     language=None, canonical_url=None, description=None, site_name=None)


def _date_in_lines(lines: list[str]) -> object:
    for line in lines:
        for match in _DATE_IN_TEXT.finditer(line):
            text = match.group(1)
            for french, english in _FRENCH_MONTHS.items():
                text = re.sub(rf"\b{french}\b", english, text, flags=re.IGNORECASE)
            text = re.sub(r"(\d)er\b", r"\1", text)
            if (found := parse_datetime(text)) is not None:
                return found
    return None


def _paragraphs(lines: list[str]) -> str:
    """Lines of the text layer joined into paragraphs (a line ending a sentence ends a paragraph)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        if line.endswith((".", "!", "?", ":", "»", '"')):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def pdf_to_html(data: bytes, url: str | None = None) -> str:
    """A PDF as a minimal HTML article page (title, date and author meta tags, one ``<p>`` per paragraph).

    Spiders hand this page to the pipeline, so a PDF press release goes through
    the same extract, language, dedupe and topic stages as any article page.
    """
    from html import escape

    doc = extract_pdf(data, url)
    head = [f"<title>{escape(doc.title or '')}</title>"]
    if doc.published:
        head.append(f'<meta name="date" content="{doc.published.isoformat()}">')
    head.extend(f'<meta name="author" content="{escape(name)}">' for name in doc.authors)
    body = "".join(f"<p>{escape(p)}</p>" for p in doc.text.split("\n") if p.strip())
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{''.join(head)}</head><body><article>"
            f"<h1>{escape(doc.title or '')}</h1>{body}</article></body></html>")
