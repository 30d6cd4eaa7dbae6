"""What the web front ends cost a visitor's browser: the console's first load (index.html and the files it names)
and the chat widget's script, gzipped, against their limits. Reads the builds of `make web`."""

from __future__ import annotations

from local.stack.stack import ROOT
from local.stack.web import CONSOLE_FIRST_LOAD_LIMIT, WIDGET_LIMIT, WebFiles, first_load, gzipped_size


def main() -> None:
    files = WebFiles(ROOT / "web", {})
    print("web bundle sizes (gzip -9)")
    if (files.console / "index.html").is_file():
        loaded = first_load(files.console)
        for path in loaded:
            print(f"  {path.relative_to(ROOT)}: {gzipped_size(path):,} B")
        total = sum(gzipped_size(path) for path in loaded)
        print(f"  console first load: {total:,} B of {CONSOLE_FIRST_LOAD_LIMIT:,} B allowed")
    else:
        print("  console: not built (make web)")
    if files.widget.is_file():
        print(f"  widget.js: {gzipped_size(files.widget):,} B of {WIDGET_LIMIT:,} B allowed")
    else:
        print("  widget.js: not built")


if __name__ == "__main__":
    main()
