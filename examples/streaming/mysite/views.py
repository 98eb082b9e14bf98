import asyncio

import httpx
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse


async def quote(request):
    # An async view that waits on the network: while it waits, the event
    # loop serves other requests.
    async with httpx.AsyncClient() as client:
        upstream = await client.get(f"{settings.UPSTREAM_URL}/quote/")
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
    # None when the upstream has no more.
    try:
        async with httpx.AsyncClient(timeout=None) as client:
            async with client.stream("GET", url, params=params) as upstream:
                async for line in upstream.aiter_lines():
                    await queue.put(line)
    finally:
        queue.put_nowait(None)


async def event_stream(topic, last_event_id):
    # Tell the browser how long to wait before it reconnects.
    yield f"retry: {settings.SSE_RETRY_MILLISECONDS}\n\n"
    queue = asyncio.Queue()
    reader = asyncio.create_task(relay(
        f"{settings.UPSTREAM_URL}/events/", {"topic": topic, "after": last_event_id}, queue))
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
        # When the client goes away, Django cancels the task that runs this
        # generator: asyncio.CancelledError is raised at the await where it
        # waits, and this runs on the way out. Whatever ended the stream,
        # stop the reader, which closes the connection to the upstream.
        reader.cancel()


async def events(request):
    # A browser that reconnects sends the id of the last event it got.
    last_event_id = request.headers.get("Last-Event-ID", "0")
    if not last_event_id.isdigit():
        last_event_id = "0"
    response = StreamingHttpResponse(
        event_stream(request.GET.get("topic", ""), last_event_id),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    # nginx passes this response on as it comes, whatever proxy_buffering says.
    response["X-Accel-Buffering"] = "no"
    return response
