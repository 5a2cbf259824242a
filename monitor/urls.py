"""URL canonicalization: one identity key per article, whatever URL variant led to it.

Outlets hand out the same article under tracking, AMP, mobile and trailing-slash
variants. ``canonicalize_url`` maps all of them to one key (w3lib does the
RFC-level work: percent-encoding, query sorting); the rules here add what news
sites do on top. The key stays a usable URL, but it is an identity, not a link:
the fetched URL is kept alongside it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "xtor", "at_medium", "at_campaign", "at_source", "cmpid", "ito", "ncid", "ocid", "sr_share",
        "smid", "share", "ref_src", "ref_url", "spm", "s_cid", "ns_mchannel", "ns_source",
        "ns_campaign", "ns_linkname", "ns_fee", "amp", "outputtype", "output", "_amp",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "vero_")
HOST_VARIANT_PREFIXES = ("www.", "amp.", "m.", "mobile.")
AMP_PATH = re.compile(r"(?:/amp|/amp\.html|\.amp)/?$", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURLError(ValueError):
    """Raised when a string is not an absolute http(s) URL."""


def canonicalize_url(url: str) -> str:
    """Return the identity key of ``url``.

    Lower-cases scheme and host, drops default ports, fragments, ``www.``/``m.``/
    ``amp.`` host prefixes, tracking parameters, AMP path suffixes and trailing
    slashes, and sorts the remaining query. Raises ``InvalidURLError`` for
    anything that is not an absolute http(s) URL.
    """
    key = _canonical(url, url)
    # w3lib's percent-decoding can expose a host-less URL or a new trailing slash: settle on a fixed point.
    for _ in range(3):
        again = _canonical(key, url)
        if again == key:
            return key
        key = again
    raise InvalidURLError(f"URL has no stable canonical form: {url!r}")


def _canonical(url: str, original: str) -> str:
    """One pass of the rules; errors name ``original``, the URL the caller gave."""
    raw = (url or "").strip()
    try:
        parts = urlsplit(raw)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise InvalidURLError(f"not an absolute http(s) URL: {original!r} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURLError(f"not an absolute http(s) URL: {original!r}")
    host = parts.hostname.lower().rstrip(".")
    for prefix in HOST_VARIANT_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"bad port in URL {original!r}") from exc
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    )
    return w3lib_canonicalize(urlunsplit((scheme, netloc, path, query, "")))


def is_tracking_param(name: str) -> bool:
    """True for query parameters that only track the reader, never select content."""
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def domain_of(url: str) -> str:
    """The host of ``url`` without variant prefixes, for grouping by outlet."""
    return urlsplit(canonicalize_url(url)).hostname or ""
