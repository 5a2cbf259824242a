"""Topics stage: tag the article with the taxonomy, keeping score and evidence."""

from __future__ import annotations

from scrapy.crawler import Crawler

from monitor.enrich import apply_topics, default_tagger
from monitor.items import ArticleItem


class TopicsPipeline:
    """Adapter over ``monitor.topics.Tagger`` (compiled once per process)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.tagger = default_tagger()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "TopicsPipeline":
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        apply_topics(item, self.tagger)
        for topic in item.topics:
            self.crawler.stats.inc_value(f"monitor/topics/{topic['id']}")
        return item
