"""Extension: an unreachable robots.txt is one warning line, not an ERROR with a 40-line traceback.

Scrapy's robots.txt middleware logs a failed robots.txt download at ERROR with the
whole Twisted traceback, once per host and run. For an operator that is noise: the
message already names the request and the reason (connection refused, DNS, timeout),
Scrapy then crawls as if robots.txt allowed everything, and the page requests that
follow are judged on their own (``monitor.crawl.failures``). The filter keeps the
line and drops the traceback; nothing else of that logger is touched.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"
DOWNLOAD_ERROR = "Error downloading"  # the message that middleware's _logerror writes


class RobotsDownloadErrors(logging.Filter):
    """Turns the robots.txt middleware's download errors into traceback-free warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(DOWNLOAD_ERROR):
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_FILTER = RobotsDownloadErrors()


class QuietRobotsErrors:
    """Installs the filter on the robots.txt middleware's logger (once per process)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "QuietRobotsErrors":
        logger = logging.getLogger(ROBOTS_LOGGER)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        return cls()
