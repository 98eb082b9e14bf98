"""The streaming example's application for Granian behind a reverse proxy.

Granian puts the address of the connection in the scope, which behind a
proxy is the proxy's. Its wrapper takes the client's address from
X-Forwarded-For, and the scheme from X-Forwarded-Proto, but only on
connections from the addresses in `trusted_hosts`: here, nginx on the same
machine.
"""

from granian.utils.proxies import wrap_asgi_with_proxy_headers

from .asgi import application as site_application

application = wrap_asgi_with_proxy_headers(site_application, trusted_hosts=["127.0.0.1"])
