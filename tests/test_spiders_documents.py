"""PDF press releases, catalogue selectors and sitemaps: the parsing pieces the spiders and extract stage use."""

from __future__ import annotations

import gzip
import random
from datetime import datetime, timezone

import pytest

from monitor.catalogue import CatalogueError, parse_entry
from monitor.catalogue.fixtures import fixture_path
from monitor.catalogue.selectors import select_texts
from monitor.extract import extract_article
from monitor.extract.document import extract_document
from monitor.extract.pdf import extract_pdf, is_pdf, pdf_to_html
from monitor.extract.selectors import apply_selectors
from monitor.sitemaps import SitemapError, gunzip, parse_sitemap

PDF = fixture_path("inherent-resolve") / "Portals/14/Documents/Releases/2025/03/20250314-01-coalition-strikes-release.pdf"
ARTICLE = fixture_path("b2-bruxelles2") / "2025/03/eu-defence-ministers-joint-ammunition-purchase/index.html"


def test_a_pdf_press_release_gives_title_date_and_text() -> None:
    data = PDF.read_bytes()
    assert is_pdf(data) and is_pdf(b"", "application/pdf; qs=1") and not is_pdf(b"<html>", "text/html")
    doc = extract_pdf(data, "https://www.inherentresolve.mil/x.pdf")
    assert doc.title == "Coalition strikes Daesh targets in Syria"
    assert doc.published == datetime(2025, 3, 14, tzinfo=timezone.utc)
    assert doc.authors == []  # "CJTF-OIR Public Affairs" is an office, not a person
    assert "weapons cache" in doc.text and "enduring defeat of Daesh" in doc.text
    page = extract_article(pdf_to_html(data), "https://www.inherentresolve.mil/x.pdf")
    assert (page.title, page.published) == (doc.title, doc.published) and "weapons cache" in page.text
    assert extract_document(data, "x.pdf", content_type="application/pdf").title == doc.title


def test_a_broken_pdf_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="x.pdf: not a readable PDF"):
        extract_pdf(b"%PDF-1.4 garbage", "x.pdf")


def test_selectors_override_only_the_fields_they_match() -> None:
    html = ARTICLE.read_text()
    base = extract_article(html, "https://www.bruxelles2.eu/a/")
    fixed = apply_selectors(base, html, {"title": ".related-posts h3", "authors": "span.author a",
                                         "published": "//time/@datetime", "text": ".entry-content p:first-child"})
    assert fixed.title == "Related" and fixed.authors == ["Emmanuel Clément"]
    assert fixed.published == datetime(2025, 3, 12, 17, 5, tzinfo=timezone.utc)
    assert fixed.text.startswith("Defence ministers meeting") and len(fixed.text) < len(base.text)
    assert apply_selectors(base, html, {"title": ".no-such-thing"}).title == base.title
    assert select_texts(html, "span.author a::attr(href)") == ["{{SITE}}/author/clément/"]


def test_bad_selectors_name_the_entry_and_field() -> None:
    entry = {"name": "x", "kind": "listing", "start_urls": ["https://a.eu/news"], "selectors": {"teaser": "div[["}}
    with pytest.raises(CatalogueError, match=r"cat.toml: entry 3 \(x\): field 'selectors.teaser': invalid CSS"):
        parse_entry(entry, where="cat.toml: entry 3")
    entry["selectors"] = {"teaser_link": "//a[@href"}
    with pytest.raises(CatalogueError, match="field 'selectors.teaser_link': invalid XPath"):
        parse_entry(entry, where="cat.toml: entry 3")
    entry["selectors"] = {"byline": "span.author"}
    with pytest.raises(CatalogueError, match="field 'selectors.byline': unknown selector"):
        parse_entry(entry, where="cat.toml: entry 3")


def test_sitemaps_index_gzip_and_google_news() -> None:
    root = fixture_path("euractiv-defence")
    index = parse_sitemap((root / "sitemap_index.xml").read_bytes(), "https://www.euractiv.com/sitemap_index.xml")
    assert index.kind == "sitemapindex" and index.entries[0].loc.endswith("/news-sitemap.xml.gz")
    news = parse_sitemap((root / "news-sitemap.xml.gz").read_bytes(), "https://www.euractiv.com/news-sitemap.xml.gz")
    assert news.kind == "urlset" and len(news.entries) == 3
    newest = news.entries[0]
    assert newest.title == "Member states split over common borrowing for defence"
    assert newest.published == datetime(2025, 3, 13, 6, 0, tzinfo=timezone.utc) and newest.language == "en"
    with pytest.raises(SitemapError, match="not a sitemap"):
        parse_sitemap(b"<html><body>hi</body></html>", "https://a.eu/sitemap.xml")
    with pytest.raises(SitemapError, match=r"s\.xml\.gz: (broken gzip|not a sitemap)"):
        parse_sitemap(gzip.compress(b"<urlset/>")[:12], "https://a.eu/s.xml.gz")


def test_gunzip_reads_every_member_and_stops_a_bomb() -> None:
    assert gunzip(gzip.compress(b"<urlset>") + gzip.compress(b"</urlset>"), 100) == b"<urlset></urlset>"
    assert gunzip(gzip.compress(b"abc") + b"trailing junk", 100) == b"abc"
    with pytest.raises(ValueError, match="more than 999 bytes"):
        gunzip(gzip.compress(b"x" * 1000), 999)
    assert gunzip(gzip.compress(b"x" * 1000), 1000) == b"x" * 1000
    noise = random.Random(7).randbytes(50_000)  # incompressible: a cut at 20,000 bytes is mid-stream
    partial = gunzip(gzip.compress(noise)[:20_000], 10**6)  # a truncated download: what it holds
    assert 0 < len(partial) < len(noise) and noise.startswith(partial)
