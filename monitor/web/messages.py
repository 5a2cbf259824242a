"""Error texts on the dashboard's pages: the CLI's hints become links to the pages that help.

The modules the pages share with the CLI word their errors for a terminal ("no alert named 'x' (see
`monitor alerts list`)"); an analyst on the dashboard needs the page instead. The text is escaped first
and only the literal hints are replaced, so a name quoted in the message stays text.
"""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup, escape

# the CLI's hint -> (page, what the link says)
PAGE_FOR_HINT = {
    " (see `monitor alerts list`)": ("/inbox", "the alert inbox"),
    " (see `monitor topics list`)": ("/topics", "the topics"),
    " (see `monitor sources list`)": ("/sources", "the sources"),
}
EDIT_HINT = " (use `monitor alerts edit`)"


def page_message(text: str, *, alert: str | None = None) -> Markup:
    """``text`` escaped, each CLI hint replaced by a link to its page; "(use `monitor alerts edit`)", said of
    an alert that already exists, becomes a link to ``alert``'s page (dropped when ``alert`` is None)."""
    out = escape(text)
    for hint, (href, label) in PAGE_FOR_HINT.items():
        out = out.replace(escape(hint), Markup(' (see <a href="{}">{}</a>)').format(href, label))
    link = Markup(': <a href="/alerts/{}">open {}</a>').format(quote(alert, safe=""), alert) if alert else Markup("")
    return out.replace(escape(EDIT_HINT), link)
