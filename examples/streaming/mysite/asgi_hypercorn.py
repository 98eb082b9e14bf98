"""The streaming example's application for Hypercorn behind a reverse proxy.

Hypercorn puts the address of the connection in the scope, which behind a
proxy is the proxy's. ProxyFixMiddleware replaces it with the last entry of
X-Forwarded-For, the scheme with the last X-Forwarded-Proto, and the Host
header with the last X-Forwarded-Host. It trusts these headers from anyone
who can connect, so Hypercorn must listen where only the proxy reaches it,
and the proxy must set all three headers itself.
"""

from hypercorn.middleware import ProxyFixMiddleware

from .asgi import application as site_application

application = ProxyFixMiddleware(site_application, mode="legacy", trusted_hops=1)
