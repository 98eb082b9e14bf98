"""Views for the "Async safety" page. Each one answers with plain text.

count_broken is the mistake the page is about. The other views do the same
kind of work in ways that are safe under ASGI.
"""

import asyncio
import time

from asgiref.sync import sync_to_async
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import aget_object_or_404

from notes.models import Note


def text(body, status=200):
    return HttpResponse(body, status=status, content_type="text/plain")


def loop_in_this_thread():
    """True when an event loop runs in the calling thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def count_sync(request):
    """A plain view: under ASGI, Django calls it in a worker thread."""
    count = Note.objects.count()
    return text(f"notes: {count}; event loop in this thread: {loop_in_this_thread()}\n")


async def count_broken(request):
    """Wrong: a synchronous ORM call straight from an async view."""
    count = Note.objects.count()
    return text(f"notes: {count}\n")


async def notes(request):
    """Right: the ORM's async methods. POST adds a note, GET lists them."""
    if request.method == "POST":
        note = await Note.objects.acreate(title=request.POST["title"])
        return text(f"created note {note.pk}\n", status=201)
    count = await Note.objects.acount()
    lines = [f"notes: {count}; event loop in this thread: {loop_in_this_thread()}"]
    async for note in Note.objects.order_by("pk"):
        lines.append(f"{note.pk}: {note.title}")
    return text("\n".join(lines) + "\n")


async def note_detail(request, pk):
    """Right: aget_object_or_404() awaits QuerySet.aget()."""
    note = await aget_object_or_404(Note, pk=pk)
    return text(f"{note.pk}: {note.title}\n")


def add_titles(titles):
    """Ordinary synchronous code: several queries in one transaction."""
    with transaction.atomic():
        for title in titles:
            Note.objects.create(title=title)
        total = Note.objects.count()
    return total, loop_in_this_thread()


async def import_notes(request):
    """Right: sync_to_async() runs the synchronous helper in a thread."""
    titles = request.body.decode().splitlines()
    total, loop = await sync_to_async(add_titles)(titles)
    return text(
        f"added {len(titles)} notes, {total} in all; "
        f"event loop in the helper's thread: {loop}\n",
        status=201,
    )


async def nap_blocking(request):
    """Wrong: time.sleep() stops the whole event loop for 0.2 s."""
    time.sleep(0.2)
    return text("awake\n")


async def nap(request):
    """Right: asyncio.sleep() lets the loop serve other requests meanwhile."""
    await asyncio.sleep(0.2)
    return text("awake\n")
