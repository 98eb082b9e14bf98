"""Serve the assembled site on 127.0.0.1, as a static host would.

    python docs/_tools/serve_site.py _build/site 8000

A path that does not exist gets the site's root 404.html with status 404,
as on GitHub Pages; that page sends readers under /zh_CN/ on to the Chinese
one. A port that is taken is a one-line error, not a traceback.
"""

import functools
import http.server
import sys
from pathlib import Path


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def main(site: str, port: str) -> int:
    if not (Path(site) / "index.html").is_file():
        print(f"serve: no site at {site}/; run `make site` first", file=sys.stderr)
        return 1
    handler = functools.partial(SiteHandler, directory=site)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler)
    except OSError as error:
        print(f"serve: cannot listen on 127.0.0.1:{port}: {error.strerror}; "
              f"is another server running there? Try `make serve PORT={int(port) + 1}`.",
              file=sys.stderr)
        return 1
    print(f"Serving {site}/ on http://127.0.0.1:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
