import asyncio

from django.http import HttpResponse


def index(request):
    # The ASGI server describes the connection in the request's scope.
    scope = request.scope
    return HttpResponse(
        f"Hello over ASGI {scope['asgi']['version']}, HTTP/{scope['http_version']}\n",
        content_type="text/plain",
    )


def client(request):
    # Who Django thinks the client is. A server that trusts proxy headers
    # takes these from X-Forwarded-For and X-Forwarded-Proto.
    return HttpResponse(
        f"{request.META['REMOTE_ADDR']} {request.scheme}\n", content_type="text/plain"
    )


async def slow(request):
    # A request that is still running when the server is told to stop.
    seconds = float(request.GET.get("seconds", "1"))
    await asyncio.sleep(seconds)
    return HttpResponse(f"Slept {seconds:g} s\n", content_type="text/plain")
