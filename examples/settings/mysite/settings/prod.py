"""Production settings: secrets and host names come from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def environ(name):
    """The value of the environment variable `name`; fail loudly if it is unset."""
    value = os.environ.get(name, '')
    if not value:
        raise ImproperlyConfigured(
            f'The {name} environment variable is not set; '
            f'mysite.settings.prod reads it at start-up.'
        )
    return value


DEBUG = False

SECRET_KEY = environ('DJANGO_SECRET_KEY')

# Comma-separated, for example "example.com,www.example.com".
ALLOWED_HOSTS = [host.strip() for host in environ('DJANGO_ALLOWED_HOSTS').split(',')]

# HTTPS only. SECURE_SSL_REDIRECT sends plain-HTTP requests to https://.
# HSTS makes browsers use HTTPS for this site and every subdomain for a year,
# and allows the domain onto the browsers' preload list. Browsers remember
# it, so it is hard to undo: try a small SECURE_HSTS_SECONDS first.
SECURE_SSL_REDIRECT = True
# Behind a proxy that ends TLS, every request reaches Django over plain HTTP.
# The proxy says which scheme the client used in X-Forwarded-Proto, replacing
# any such header from the client; without this line, the redirect above
# would send every HTTPS request back to itself.
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
