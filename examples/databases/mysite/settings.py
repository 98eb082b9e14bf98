"""Settings for the databases example: Django on PostgreSQL under ASGI.

Which connection handling the project uses is chosen with environment
variables, so that one project shows all of them:

DB_CONN_MAX_AGE=60   keep each connection for 60 seconds (default 0: close
                     it at the end of every request)
DB_POOL=1            use psycopg's connection pool, DB_POOL_MIN_SIZE,
                     DB_POOL_MAX_SIZE and DB_POOL_TIMEOUT connections and
                     seconds per worker process
DB_PGBOUNCER=1       the database is PgBouncer in transaction mode

DB_NAME, DB_USER, DB_PASSWORD, DB_HOST and DB_PORT say where the database
is; empty means libpq's default (the local Unix socket, your user name).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "The DJANGO_SECRET_KEY environment variable is not set; "
        "mysite.settings reads the secret key from it."
    )

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "accounts",
]

# No sessions, no forms, no templates: only what the views below use.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "mysite.urls"
TIME_ZONE = "UTC"
USE_TZ = True


def env_flag(name):
    return os.environ.get(name, "") == "1"


DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "mysite"),
        "USER": os.environ.get("DB_USER", ""),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", ""),
        "PORT": os.environ.get("DB_PORT", ""),
        # 0, Django's default: each request closes its connection at the end.
        "CONN_MAX_AGE": int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        "OPTIONS": {
            # Shown in pg_stat_activity: which program holds a connection.
            "application_name": os.environ.get("DB_APPLICATION_NAME", "mysite"),
        },
    }
}

if env_flag("DB_POOL"):
    # One pool per worker process. Django refuses a pool together with a
    # CONN_MAX_AGE other than 0: the pool keeps the connections instead.
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "4")),
        # Seconds a request waits for a free connection before it fails.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }

if env_flag("DB_PGBOUNCER"):
    # In transaction mode PgBouncer may give each transaction another server
    # connection, and a server-side cursor lives only on the connection
    # that declared it: let .iterator() fetch everything at once instead.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# With DEBUG off, Django logs a view's exception only to the site admins by
# e-mail. Print it on the server's standard error too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
