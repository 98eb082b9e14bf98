"""
ASGI config for mysite project: Django inside a Starlette application.

Starlette answers /health itself and sends every path under /django/ to
Django. Starlette also answers the lifespan protocol, which Django's ASGI
handler does not support.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

# get_asgi_application() calls django.setup(): do it before anything else.
django_application = get_asgi_application()

from starlette.applications import Starlette  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Mount, Route  # noqa: E402


async def health(request):
    return PlainTextResponse("ok\n")


application = Starlette(
    routes=[
        Route("/health", health),
        Mount("/django", app=django_application),
    ],
)
