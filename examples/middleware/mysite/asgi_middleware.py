"""Two small pure ASGI middleware for the project's asgi.py.

They are ASGI middleware, not Django middleware: each wraps an ASGI
application and sees the raw scope and messages, not HttpRequest and
HttpResponse objects. Both pass lifespan and WebSocket connections to the
wrapped application untouched.
"""

import time


class LowercaseHeadersMiddleware:
    """Lowercase the response header names of the application it wraps.

    The ASGI spec says response header names must be lowercased. Django 5.2
    keeps their case ("Content-Length"), and middleware that compare names
    in lowercase, such as Starlette's GZipMiddleware, then miss them.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_lowercased(message):
            if message["type"] == "http.response.start":
                headers = [(name.lower(), value) for name, value in message.get("headers", [])]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_lowercased)


class ServerTimingMiddleware:
    """Time the application it wraps and report it in a Server-Timing header.

    On the way in, the middleware adds its name to the list scope["layers"],
    so the view can see which layers the request passed through. On the way
    out, it adds a Server-Timing metric with that name: the milliseconds from
    the request reaching this layer to the response headers leaving it.
    """

    def __init__(self, app, name):
        self.app = app
        self.name = name

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        # Copy the scope rather than change the server's dict in place.
        scope = {**scope, "layers": [*scope.get("layers", []), self.name]}

        async def send_with_timing(message):
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                metric = f"{self.name};dur={elapsed:.1f}".encode("latin-1")
                headers = [*message.get("headers", []), (b"server-timing", metric)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_timing)
