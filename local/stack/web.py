"""The web front ends as the deployment serves them from its own origin: the console at `/` (its assets under
`/assets/`), the chat widget at `/widget.js`, and `/config.json`, the runtime config both read (where the APIs are).

The files are the builds of web/ (`make web`); the API routes keep every other path.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

NOT_BUILT = "The web front ends are not built: run `make web` (make run does)."
# The most a visitor's browser may download, gzipped: the console's first load, and the widget on a customer's site.
CONSOLE_FIRST_LOAD_LIMIT = 250_000
WIDGET_LIMIT = 25_000
_ASSET = re.compile(r'(?:src|href)="/(assets/[^"]+)"')


class WebFiles:
    def __init__(self, web: Path, config: Mapping[str, str]) -> None:
        self.console = web / "console" / "dist"
        self.widget = web / "widget" / "dist" / "widget.js"
        self.config = dict(config)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET", "HEAD"]),
            Mount("/assets", StaticFiles(directory=self.console / "assets", check_dir=False)),
            Route("/widget.js", self.widget_script, methods=["GET", "HEAD"]),
            Route("/config.json", self.runtime_config, methods=["GET", "HEAD"]),
        ]

    async def index(self, _: Request) -> Response:
        return self._file(self.console / "index.html", "no-cache")

    async def widget_script(self, _: Request) -> Response:
        return self._file(self.widget, "public, max-age=300")

    async def runtime_config(self, _: Request) -> Response:
        # Any website that embeds the widget reads it (the widget is served to every origin).
        return JSONResponse(self.config, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})

    @staticmethod
    def _file(path: Path, cache: str) -> Response:
        if not path.is_file():
            return PlainTextResponse(NOT_BUILT, status_code=503)
        return FileResponse(path, headers={"Cache-Control": cache})


def first_load(console: Path) -> list[Path]:
    """The files a first visit to the console downloads: index.html and the scripts, stylesheets and preloads it
    names (Vite writes every one of them into it)."""
    index = console / "index.html"
    return [index, *(console / asset for asset in dict.fromkeys(_ASSET.findall(index.read_text())))]


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))
