"""The offline replica of the outlets: static sites served over real HTTP on loopback.

``monitor demo`` and the test suite crawl it through the same spiders as the
real outlets; ``catalogue.toml`` here describes its sources with ``{{REPLICA}}``
standing for the server's base URL.
"""

from pathlib import Path

from monitor.replica.server import ReplicaServer

SITES_DIR = Path(__file__).parent / "sites"
CATALOGUE = Path(__file__).parent / "catalogue.toml"
TRUTH = Path(__file__).parent / "truth.json"

__all__ = ["CATALOGUE", "SITES_DIR", "TRUTH", "ReplicaServer"]
