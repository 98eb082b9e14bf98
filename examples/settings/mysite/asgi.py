"""
ASGI config for mysite project.

It exposes the ASGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/
"""

import os

from django.core.asgi import get_asgi_application

# Only ASGI servers import this file, so without DJANGO_SETTINGS_MODULE in
# the environment they get the production settings. The environment wins.
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings.prod')

application = get_asgi_application()
