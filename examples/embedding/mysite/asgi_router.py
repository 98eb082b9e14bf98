"""
The same site as mysite/asgi.py, put together with the hand-written
PrefixRouter instead of Starlette: serve it with
``uvicorn mysite.asgi_router:application``.
"""

from mysite.asgi import django_application
from mysite.router import PrefixRouter


async def health(scope, receive, send):
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
    })
    await send({"type": "http.response.body", "body": b"ok\n"})


async def not_found(scope, receive, send):
    await send({
        "type": "http.response.start",
        "status": 404,
        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
    })
    await send({"type": "http.response.body", "body": b"Not Found\n"})


application = PrefixRouter(
    {"/health": health, "/django": django_application},
    default=not_found,
)
