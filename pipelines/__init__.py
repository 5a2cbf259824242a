"""Item pipelines: one module per stage, each a thin ``from_crawler`` adapter over ``monitor/``.

Order (see ``settings.ITEM_PIPELINES``): normalize → extract (with language and topics, see
``pipelines/extract.py``) → dedupe → store.
"""
