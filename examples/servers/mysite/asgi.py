"""ASGI entry point for the servers example.

`django_application` is what `startproject` gives you. `application` wraps
it in a small ASGI middleware that answers the lifespan protocol (Django
rejects it) and marks every HTTP response with an `X-Served-By` header.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

django_application = get_asgi_application()


async def lifespan(scope, receive, send):
    # Django has nothing to start or stop: acknowledge both events.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def served_by_asgi(app):
    async def middleware(scope, receive, send):
        if scope["type"] == "lifespan":
            return await lifespan(scope, receive, send)

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-served-by", b"asgi")]
                message = {**message, "headers": headers}
            await send(message)

        return await app(scope, receive, send_with_header)

    return middleware


application = served_by_asgi(django_application)
