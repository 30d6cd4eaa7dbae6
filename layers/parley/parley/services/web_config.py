"""The web front ends' runtime config, published next to them at deploy and withdrawn when the stack goes."""

from __future__ import annotations

from parley.domain.web_config import WebConfig
from parley.ports import PublishedFiles

CONFIG_KEY = "config.json"
# CloudFront does not cache it either (template.yaml): a redeploy's new URLs reach browsers at once.
CONFIG_CACHE_CONTROL = "no-cache"


class WebConfigPublisher:
    def __init__(self, files: PublishedFiles) -> None:
        self.files = files

    def publish(self, config: WebConfig) -> None:
        self.files.publish(CONFIG_KEY, config.to_json(), "application/json", CONFIG_CACHE_CONTROL)

    def withdraw(self) -> None:
        self.files.withdraw(CONFIG_KEY)
