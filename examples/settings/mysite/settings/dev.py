"""Development settings: for your machine only."""

from .base import *  # noqa: F403

DEBUG = True

# A key that is fine to commit because it protects nothing real.
SECRET_KEY = 'django-insecure-only-for-development-never-for-production'

# Empty: with DEBUG on, Django accepts localhost, 127.0.0.1 and [::1].
ALLOWED_HOSTS = []
