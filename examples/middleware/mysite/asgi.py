"""
ASGI config for mysite project, wrapped in ASGI middleware.

A request passes through the layers from the outside in, and the response
passes back through them from the inside out:

    ServerTimingMiddleware("total")
      GZipMiddleware
        ServerTimingMiddleware("django")
          LowercaseHeadersMiddleware
            Django
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

# get_asgi_application() calls django.setup(): do it before anything else.
django_application = get_asgi_application()

# Import middleware only now, so that any that import models find Django ready.
from starlette.middleware.gzip import GZipMiddleware  # noqa: E402

from mysite.asgi_middleware import (  # noqa: E402
    LowercaseHeadersMiddleware,
    ServerTimingMiddleware,
)

# Wrap from the inside out: each line adds a layer around the previous one.
application = LowercaseHeadersMiddleware(django_application)
application = ServerTimingMiddleware(application, name="django")
application = GZipMiddleware(application, minimum_size=500)
application = ServerTimingMiddleware(application, name="total")
