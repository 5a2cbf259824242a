"""Scheduled crawls: adaptive per-source cadence, crawl processes or Scrapyd jobs, retries, status.

``policy`` holds the decisions as pure functions (cadence bounds, adaptive
interval, jitter, back-off, what is due); ``daemon`` is the loop that applies
them; ``launchers`` run a crawl locally or on Scrapyd; ``state`` keeps the
scheduler's view in ``schedule_state``; ``catalogue_check`` says whether the
catalogue is valid, re-reading it only when it changed; ``scrapyd`` builds and deploys the egg;
``jsonlog`` formats JSON log lines (``monitor --log-json``).
"""
