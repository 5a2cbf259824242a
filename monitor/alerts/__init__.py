"""Alerts: saved queries matched at ingest, delivered once per story (inbox, e-mail, webhook, Atom).

    from monitor.alerts import add_alert, match_new_articles, deliver
    add_alert(engine, "nmi", "topic:nato-iraq-mission", delivery={"email": "a@b.eu", "webhook": "http://..."})
    match_new_articles(engine, [article ids just stored])
    backfill(engine, "nmi", days=30)  # or fill the inbox from what is stored (never delivered)
    deliver(engine, smtp_url="smtp://127.0.0.1:8025")
    # a trend alert: fires when a day's volume is z >= 3 above the 28 days before it
    add_alert(engine, "nmi-spike", trend={"dimension": "topic", "key": "nato-iraq-mission", "z": 3})

See docs/alerts-and-search.md for the delivery guarantee.
"""

from monitor.alerts.deliver import DeliveryReport, deliver, inbox, trend_firings
from monitor.alerts.manage import (AlertError, add_alert, edit_alert, list_alerts, remove_alert, set_muted,
                                   show_alert)
from monitor.alerts.matching import backfill, backtest, match_new_articles
from monitor.alerts.trend_alerts import TrendRule, evaluate_trends
from monitor.alerts.trends import Spike, spikes

__all__ = ["AlertError", "DeliveryReport", "Spike", "TrendRule", "add_alert", "backfill", "backtest", "deliver",
           "edit_alert", "evaluate_trends", "inbox", "list_alerts", "match_new_articles", "remove_alert", "set_muted",
           "show_alert",
           "spikes", "trend_firings"]
