"""``monitor extract | lang | tag``: the text stages on their own, for files, pipes and scripts."""

from __future__ import annotations

import gzip
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from monitor.cli.output import MonitorError, echo_error, echo_json, echo_jsonl
from monitor.config import load_config
from monitor.dates import isoformat

MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024


class InputError(ValueError):
    """An extract input that cannot be read or parsed; the message names the input and the reason."""


def read_input(path_or_url: str) -> bytes:
    """The bytes of a local file (``.gz`` decompressed) or of an http(s) URL; InputError naming the input."""
    try:
        if path_or_url.startswith(("http://", "https://")):
            request = urllib.request.Request(path_or_url, headers={"User-Agent": load_config().user_agent})
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http(s) only, checked)
                return response.read(MAX_DOWNLOAD_BYTES)
        path = Path(path_or_url)
        if path.is_dir():
            raise InputError(f"{path_or_url}: is a directory (give the files in it)")
        if not path.exists():
            raise InputError(f"{path_or_url}: no such file (and not an http(s) URL)")
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    except InputError:
        raise
    except (OSError, EOFError, ValueError) as exc:  # HTTP errors, timeouts, permissions, bad gzip
        raise InputError(f"{path_or_url}: {_reason(exc)}") from exc


_NOT_PAGES = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(rss|feed|rdf:RDF|urlset|sitemapindex)\b",
                        re.DOTALL)


def as_article_page(source: str, data: bytes, url: str | None) -> bytes | str:
    """``data`` as the page the extract stage reads: a PDF converted as the spiders convert it
    (``monitor.extract.pdf``); a feed or sitemap refused with InputError saying what it is."""
    from monitor.extract.pdf import is_pdf, pdf_to_html

    if is_pdf(data):
        try:
            return pdf_to_html(data, url)
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files
            raise InputError(f"{source}: unreadable PDF: {exc}") from exc
    found = _NOT_PAGES.match(data[:2048])
    if found:
        kind = {b"urlset": "a sitemap", b"sitemapindex": "a sitemap index"}.get(found.group(1), "an RSS/Atom feed")
        raise InputError(f"{source}: is {kind}, not an article page (a source in the catalogue crawls it: "
                         "docs/adding-an-outlet.md)")
    return data


def _reason(exc: BaseException) -> str:
    """An exception as a short reason, without a prefix that repeats the input."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return f"cannot fetch: {exc.reason}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@click.command("extract")
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--url", help="The page's original URL (resolves relative links) when reading one file.")
def extract_command(inputs: tuple[str, ...], url: str | None) -> None:
    """Extraction only: one JSON object per input (JSON Lines) with input, url, title,
    authors, published, language, text. Inputs are files (.gz allowed) or URLs.

    An input that cannot be read or parsed prints one line "Error: INPUT: reason" on stderr;
    the others are still extracted, and the exit status is 1 if any failed."""
    from monitor.extract import extract_article
    from monitor.language import detect_language

    if url and len(inputs) > 1:
        raise click.BadParameter("--url applies to a single input", param_hint="--url")
    failed = 0

    def extract_one(source: str) -> dict[str, Any]:
        page_url = url or (source if source.startswith(("http://", "https://")) else None)
        page = as_article_page(source, read_input(source), page_url)
        try:
            extracted = extract_article(page, page_url)
        except ValueError as exc:
            raise InputError(f"{source}: {str(exc).removeprefix('extract_article: ')}") from exc
        except Exception as exc:  # noqa: BLE001 - one odd page must not stop the batch; name what failed
            raise InputError(f"{source}: {type(exc).__name__}: {exc}") from exc
        language = detect_language(f"{extracted.title or ''}\n{extracted.text}", declared=extracted.language)
        return {
            "input": source, "url": extracted.canonical_url or page_url, "title": extracted.title,
            "authors": extracted.authors, "published": isoformat(extracted.published),
            "language": language.language, "declared_language": extracted.language,
            "description": extracted.description, "text": extracted.text,
        }

    def records() -> Iterator[dict[str, Any]]:
        nonlocal failed
        for source in inputs:
            try:
                record = extract_one(source)
            except InputError as exc:
                failed += 1
                sys.stdout.flush()  # keep stdout and stderr lines in input order on a terminal
                echo_error(str(exc))
                continue
            yield record

    echo_jsonl(records())
    if failed:
        sys.exit(1)


def _jsonl_lines() -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MonitorError(f"stdin line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise MonitorError(f"stdin line {number}: expected an object with a string 'text'")
        yield number, row


@click.command("lang")
@click.option("--jsonl", is_flag=True, help='Each stdin line is {"id","text"}; prints {"id","language","confidence"} per line.')
@click.option("--declared", help="A declared language (e.g. from <html lang>) used as a prior.")
def lang_command(jsonl: bool, declared: str | None) -> None:
    """Detect the language of the text on stdin: prints {"language","confidence"}.
    Languages are ISO 639-1 codes; "und" when there is too little or mixed text."""
    from monitor.language import detect_language

    if not jsonl:
        result = detect_language(sys.stdin.read(), declared=declared)
        echo_json({"language": result.language, "confidence": round(result.confidence, 4)})
        return
    echo_jsonl(
        {"id": row.get("id", number), "language": (r := detect_language(row["text"], declared=row.get("declared") or declared)).language,
         "confidence": round(r.confidence, 4)}
        for number, row in _jsonl_lines()
    )


@click.command("tag")
@click.option("--jsonl", is_flag=True, help='Each stdin line is {"id","text"[,"title","language","source"]}.')
@click.option("--explain", is_flag=True, help="Print each tag's evidence as readable snippets instead of JSON.")
@click.option("--title", default="", help="The article's title (single-text mode).")
def tag_command(jsonl: bool, explain: bool, title: str) -> None:
    """Tag topics in the text on stdin: prints {"topics":[{"id","score","evidence"}]}
    (with --jsonl, {"id","topics"} per line)."""
    from monitor.enrich import default_tagger
    from monitor.topics import Document, explain as explain_hit

    tagger = default_tagger()
    rows = _jsonl_lines() if jsonl else iter([(1, {"id": None, "text": sys.stdin.read(), "title": title})])
    for number, row in rows:
        document = Document(title=row.get("title") or "", text=row["text"], source=row.get("source") or "",
                            language=row.get("language") or "")
        hits = tagger.tag(document)
        if explain:
            label = f"[{row.get('id', number)}] " if jsonl else ""
            click.echo(f"{label}{len(hits)} topic(s)")
            for hit in hits:
                click.echo(explain_hit(hit, document))
            continue
        topics = [hit.to_dict() for hit in hits]
        echo_json({"id": row.get("id", number), "topics": topics} if jsonl else {"topics": topics})


COMMANDS = [extract_command, lang_command, tag_command]
