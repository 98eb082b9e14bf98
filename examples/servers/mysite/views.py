import asyncio
import time

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.utils.html import format_html


def index(request):
    # The ASGI server describes the connection in the request's scope.
    scope = request.scope
    return HttpResponse(
        f"Hello over ASGI {scope['asgi']['version']}, HTTP/{scope['http_version']}\n",
        content_type="text/plain",
    )


def client(request):
    # Who Django thinks the client is, which scheme it used and which host it
    # asked for: what a proxy in front of the server can change. Over a Unix
    # socket the server may know no client address at all.
    return HttpResponse(
        f"{request.META.get('REMOTE_ADDR', '-')} {request.scheme} {request.get_host()}\n",
        content_type="text/plain",
    )


def form(request):
    # A form that POSTs back to itself, with the CSRF token, and a stylesheet
    # linked under its hashed name.
    if request.method == "POST":
        return HttpResponse(f"Thanks, {request.POST['name']}\n", content_type="text/plain")
    return HttpResponse(format_html(
        '<!doctype html><link rel="stylesheet" href="{}">'
        '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input name="name"><button>Send</button></form>\n',
        static("site.css"), get_token(request),
    ))


async def slow(request):
    # A request that is still running when the server is told to stop.
    seconds = float(request.GET.get("seconds", "1"))
    await asyncio.sleep(seconds)
    return HttpResponse(f"Slept {seconds:g} s\n", content_type="text/plain")


def slow_sync(request):
    # Synchronous code that blocks, as a database query does: Django runs it
    # in a thread, and each running request has its own.
    seconds = float(request.GET.get("seconds", "1"))
    time.sleep(seconds)
    return HttpResponse(f"Slept {seconds:g} s in a thread\n", content_type="text/plain")


def boom(request):
    # A bug: the view raises, and Django answers 500 Internal Server Error.
    raise RuntimeError("The boom view always fails.")
