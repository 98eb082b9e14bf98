import asyncio
import weakref

import httpx
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse


async def quote(request):
    # An async view that waits on the network: while it waits, the event
    # loop serves other requests.
    async with httpx.AsyncClient() as client:
        upstream = await client.get(f"{settings.UPSTREAM_URL}/quote/")
    return HttpResponse(f"Quote: {upstream.text}", content_type="text/plain")


_clients = weakref.WeakKeyDictionary()  # event loop -> its AsyncClient


def upstream_client():
    # One client per event loop, which under a server is one per worker
    # process, made on first use. A new AsyncClient loads its TLS
    # certificates, more CPU and memory than the rest of a short request;
    # this one does it once, and keeps the connections the upstream leaves
    # open.
    loop = asyncio.get_running_loop()
    if loop not in _clients:
        _clients[loop] = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100))
    return _clients[loop]


async def quote_shared(request):
    # The same wait as quote(), through the process's client.
    upstream = await upstream_client().get(f"{settings.UPSTREAM_URL}/quote/")
    return HttpResponse(f"Quote: {upstream.text}", content_type="text/plain")


async def report_lines(report_id):
    # An async generator: Django sends each line as soon as it is yielded.
    yield "Report started\n"
    async with httpx.AsyncClient(timeout=None) as client:
        upstream = await client.get(f"{settings.UPSTREAM_URL}/wait/", params={"id": report_id})
    yield f"Report finished: {upstream.text}"


async def report(request):
    return StreamingHttpResponse(report_lines(request.GET.get("id", "")),
                                 content_type="text/plain")


def report_lines_sync(report_id):
    # The same lines from a plain generator. Under ASGI, Django cannot
    # iterate it in the event loop: it collects every line in a thread
    # first, so the client gets nothing until the last one is ready.
    yield "Report started\n"
    with httpx.Client(timeout=None) as client:
        upstream = client.get(f"{settings.UPSTREAM_URL}/wait/", params={"id": report_id})
    yield f"Report finished: {upstream.text}"


async def report_sync(request):
    return StreamingHttpResponse(report_lines_sync(request.GET.get("id", "")),
                                 content_type="text/plain")


async def relay(url, params, queue):
    # Read the upstream's events, one line each ("ID DATA"), into the queue;
    # None when the upstream has no more. Through the process's client:
    # each open stream holds its connection, not a client of its own. No
    # timeout: the stream may stay quiet for as long as there is no news.
    try:
        stream = upstream_client().stream("GET", url, params=params, timeout=None)
        async with stream as upstream:
            async for line in upstream.aiter_lines():
                await queue.put(line)
    finally:
        queue.put_nowait(None)


class EventStream:
    """The events of one request, and the task that reads them from upstream."""

    def __init__(self, topic, last_event_id):
        self.topic = topic
        self.last_event_id = last_event_id
        self.reader = None

    def __aiter__(self):
        return self.events()

    async def events(self):
        # Tell the browser how long to wait before it reconnects.
        yield f"retry: {settings.SSE_RETRY_MILLISECONDS}\n\n"
        queue = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.reader = asyncio.create_task(relay(
            f"{settings.UPSTREAM_URL}/events/",
            {"topic": self.topic, "after": self.last_event_id}, queue))
        try:
            while True:
                try:
                    line = await asyncio.wait_for(queue.get(), settings.SSE_KEEPALIVE_SECONDS)
                except TimeoutError:
                    # A comment line: browsers ignore it, proxies see traffic.
                    yield ": keep-alive\n\n"
                    continue
                if line is None:
                    return
                event_id, data = line.split(" ", 1)
                yield f"id: {event_id}\ndata: {data}\n\n"
        finally:
            # When the client goes away while this waits, Django cancels the
            # task: asyncio.CancelledError is raised at the await, and this
            # runs on the way out. Stop the reader, which closes the
            # connection to the upstream.
            self.reader.cancel()

    def close(self):
        # Django calls this when the response is done, however it ended,
        # also when the client went away while Django was sending a piece
        # and the generator above was left where it was. Django calls it
        # from a thread: ask the event loop to stop the reader.
        if self.reader is not None:
            self.loop.call_soon_threadsafe(self.stop_reader)

    def stop_reader(self):
        # Once only: Django 6.1 calls close() while the reader that the
        # finally above cancelled is still closing its connection, and a
        # second cancel() would stop that too, leaving the connection open.
        if not self.reader.done() and not self.reader.cancelling():
            self.reader.cancel()


async def events(request):
    # A browser that reconnects sends the id of the last event it got.
    last_event_id = request.headers.get("Last-Event-ID", "0")
    if not last_event_id.isdigit():
        last_event_id = "0"
    response = StreamingHttpResponse(
        EventStream(request.GET.get("topic", ""), last_event_id),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    # nginx passes this response on as it comes, whatever proxy_buffering says.
    response["X-Accel-Buffering"] = "no"
    return response
