"""Settings for the streaming example, read from the environment.

Set up as the servers example is: DEBUG off and the secret key from the
environment. The views talk to an upstream HTTP service, whose address
comes from STREAMING_UPSTREAM_URL. The example has no static files, so it
needs no WhiteNoise and no collectstatic.
"""

import os

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "The DJANGO_SECRET_KEY environment variable is not set; "
        "mysite.settings reads the secret key from it."
    )

DEBUG = False

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = []

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "mysite.urls"

DATABASES = {}

TIME_ZONE = "UTC"
USE_TZ = True

# Behind nginx, as in the servers example.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The service the views wait on.
UPSTREAM_URL = os.environ.get("STREAMING_UPSTREAM_URL", "http://127.0.0.1:9000")

# Server-Sent Events: how long to wait before a browser reconnects, and how
# often to send a comment while there is nothing to say, so that no proxy
# or server in between takes the connection for dead.
SSE_RETRY_MILLISECONDS = int(os.environ.get("SSE_RETRY_MILLISECONDS", "3000"))
SSE_KEEPALIVE_SECONDS = float(os.environ.get("SSE_KEEPALIVE_SECONDS", "15"))

# Django's errors to standard error; the warning about synchronous
# iterators is a Python warning, which the server prints there too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "ERROR", "propagate": False}},
}
