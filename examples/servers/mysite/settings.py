"""Settings for serving the example with a real ASGI server.

Set up as in production: DEBUG is off, the secret key comes from the
environment, only the hosts the tests use are allowed, and the security
settings pass `python manage.py check --deploy`. In production the server
listens on the loopback address behind nginx, which terminates TLS; see
examples/servers/deploy/nginx.conf and the page "Behind a reverse proxy".
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# No fallback: a server started without the key stops with this message
# instead of running with a key that anyone can read in the repository.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "The DJANGO_SECRET_KEY environment variable is not set; "
        "mysite.settings reads the secret key from it."
    )

DEBUG = False

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

# This project has no models and needs no database.
DATABASES = {}

# Django sets the process's time zone (TZ) from this setting, which defaults
# to America/Chicago: without it, the server's own log times would change
# zone as soon as Django loads.
TIME_ZONE = "UTC"
USE_TZ = True

# Behind the proxy ---------------------------------------------------------
# nginx terminates TLS and talks plain HTTP to the server. It sets
# X-Forwarded-Proto to the scheme the client used, replacing whatever the
# client sent, so Django may trust it: request.is_secure() is then true for
# requests that came over HTTPS, whichever server runs Django.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx passes on the Host header the client sent; Django checks it against
# ALLOWED_HOSTS. X-Forwarded-Host is not trusted (False is the default).
USE_X_FORWARDED_HOST = False
# nginx redirects plain HTTP to HTTPS before a request reaches Django, so
# Django's own redirect is left off and its deployment check silenced: the
# server stays usable on the loopback address for health checks.
SECURE_SSL_REDIRECT = False
SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SECURE = True
# Only needed for origins other than the site's own (another subdomain, or a
# proxy that changes the Host header): the CSRF check accepts a POST whose
# Origin is this scheme and host.
CSRF_TRUSTED_ORIGINS = []

# Static files: `python manage.py collectstatic` copies everything found in
# STATICFILES_DIRS into STATIC_ROOT, with a copy under a hashed name
# (site.css -> site.<hash>.css) that {% static %} links to. A hashed name
# changes with the content, so nginx, or ServeStatic without a proxy, can let
# browsers cache it for a year.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "mysite" / "static"]
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    },
}

# Logging ------------------------------------------------------------------
# With DEBUG off and no LOGGING, Django sends the traceback of a 500 only to
# the ADMINS, by email, and this project has none: under Uvicorn, Gunicorn,
# Hypercorn and Granian it is lost. This writes every error that Django logs,
# a 500 with its traceback among them, to standard error, in one shape
# whichever server runs Django. Django's warnings, such as "Not Found" for a
# 404, stay out, and so does everything else.
LOGGING = {
    "version": 1,
    # The server set up its own loggers, its access log among them, before it
    # imported Django: True would silence them.
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "loggers": {
        # Every logger of Django's is under "django". Not propagating keeps
        # the record from a handler that the server put on the root logger,
        # as Daphne does, which would write it a second time.
        "django": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
