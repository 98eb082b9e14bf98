"""The example's application for Gunicorn's own ASGI worker behind a proxy.

Gunicorn's `asgi` worker takes the scheme from X-Forwarded-Proto, on
connections from `--forwarded-allow-ips`, but always puts the address of the
connection in the scope, which behind a proxy is the proxy's. Uvicorn's
ProxyHeadersMiddleware, a plain ASGI middleware, takes the client's address
from X-Forwarded-For, but only on connections from the addresses in
`trusted_hosts`: here, nginx on the same machine.
"""

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .asgi import application as site_application

application = ProxyHeadersMiddleware(site_application, trusted_hosts="127.0.0.1")
