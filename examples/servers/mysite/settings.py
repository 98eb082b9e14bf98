"""Settings for serving the example with a real ASGI server.

Production-like: DEBUG is off, only the hosts the tests use are allowed,
and WhiteNoise serves the files that `collectstatic` gathered.
"""

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Read the key from the environment in a real deployment; the fallback only
# keeps the example runnable.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "servers-example-key-not-secret")

DEBUG = False

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "mysite.urls"

# This project has no models and needs no database.
DATABASES = {}

# Django sets the process's time zone (TZ) from this setting, which defaults
# to America/Chicago: without it, the server's own log times would change
# zone as soon as Django loads.
TIME_ZONE = "UTC"
USE_TZ = True

# Static files: `python manage.py collectstatic` copies everything found in
# STATICFILES_DIRS into STATIC_ROOT, and WhiteNoise serves STATIC_ROOT.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "mysite" / "static"]
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")

# WhiteNoise 6.12 answers with a FileResponse whose iterator is synchronous.
# Under ASGI, Django reads such a file into memory in a worker thread and
# warns once per process. That is harmless for small static files, so this
# one message, and nothing else, is silenced.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    category=Warning,
)
