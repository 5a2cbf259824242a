"""Webhook delivery: a JSON POST with an ``Idempotency-Key`` header, retried with exponential backoff."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from monitor.config import USER_AGENT


class WebhookError(OSError):
    """The receiver refused or could not be reached after all retries."""


def post(url: str, payload: dict[str, Any], *, key: str, retries: int = 3, backoff: float = 0.5,
         timeout: float = 10.0) -> int:
    """POST ``payload``; retries network errors, 429 and 5xx (``backoff * 2**n`` seconds). Returns the status."""
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": USER_AGENT}
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                break
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
    raise WebhookError(f"webhook {url}: {last} (key {key})")
