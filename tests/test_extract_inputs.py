"""``monitor extract`` reads what the spiders read: a PDF press release is converted as a crawl converts it
(same title and date as ``monitor.extract.pdf``), a feed or sitemap is refused saying what it is, a broken PDF
names the file and the reason; the other inputs of the batch are still extracted."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.extract.pdf import extract_pdf
from tests.conftest import REPO

OUTLETS = REPO / "tests" / "fixtures" / "outlets"
PDF = next(OUTLETS.rglob("*.pdf"))
FEED = OUTLETS / "defense-news" / "arc" / "outboundfeeds" / "rss" / "index.xml"
SITEMAP = OUTLETS / "euractiv-defence" / "section-sitemap.xml"


def test_a_pdf_is_extracted_as_the_crawl_reads_it_and_feeds_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 then nothing")
    result = CliRunner().invoke(cli, ["extract", str(FEED), str(PDF), str(SITEMAP), str(broken)])
    assert result.exit_code == 1
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    expected = extract_pdf(PDF.read_bytes())
    assert record["input"] == str(PDF) and record["title"] == expected.title and record["title"]
    assert record["published"] == expected.published.isoformat() and record["language"] == "en"
    assert "Daesh" in record["text"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors[:2] == [f"Error: {FEED}: is an RSS/Atom feed, not an article page (a source in the catalogue "
                      "crawls it: docs/adding-an-outlet.md)",
                      f"Error: {SITEMAP}: is a sitemap, not an article page (a source in the catalogue crawls it: "
                      "docs/adding-an-outlet.md)"]
    assert errors[2].startswith(f"Error: {broken}: unreadable PDF: ") and len(errors) == 3
