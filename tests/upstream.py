"""A tiny HTTP service that the streaming example's views wait on.

It runs on asyncio in a thread of the test process, on a free 127.0.0.1
port, and answers only what the views ask, when the test says so:

    with Upstream() as upstream:        # upstream.url for STREAMING_UPSTREAM_URL
        upstream.arrived("r1").wait(5)  # a view is waiting on /wait/?id=r1
        upstream.release("r1")          # ... which now gets "r1\\n"
        upstream.push("news", 1, "hello")  # event 1 for /events/?topic=news
        upstream.closed("news").wait(5)    # a view closed its /events/ connection

Every request gets a response with ``Connection: close``: the body ends
when the connection does, so no framing is needed for the event stream.
"""

import asyncio
import threading
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from server import free_port


class Upstream:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._arrived = defaultdict(threading.Event)
        self._opened = defaultdict(threading.Event)
        self._closed = defaultdict(threading.Event)
        self._release = {}                # id -> asyncio.Event
        self._events = defaultdict(list)  # topic -> [(id, data)]
        self._changed = {}                # topic -> asyncio.Event, set on a push
        self.requests = []                # (path, query) in the order they came
        self.ended = {}                   # topic -> how its last event stream ended

    # What the test sees and does -------------------------------------------
    def arrived(self, key) -> threading.Event:
        """Set once a request for /wait/?id=KEY has come in."""
        with self._lock:
            return self._arrived[key]

    def opened(self, topic) -> threading.Event:
        with self._lock:
            return self._opened[topic]

    def closed(self, topic) -> threading.Event:
        """Set once a client of /events/?topic=TOPIC has closed its connection."""
        with self._lock:
            return self._closed[topic]

    def release(self, key):
        self._loop.call_soon_threadsafe(self._release_event(key).set)

    def push(self, topic, event_id: int, data: str):
        def add():
            self._events[topic].append((event_id, data))
            self._changed.pop(topic, asyncio.Event()).set()  # wakes every stream of it
        self._loop.call_soon_threadsafe(add)

    # The service ------------------------------------------------------------
    def _release_event(self, key) -> asyncio.Event:
        return self._release.setdefault(key, asyncio.Event())

    def _change(self, topic) -> asyncio.Event:
        return self._changed.setdefault(topic, asyncio.Event())

    async def _handle(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode()
            url = urlsplit(target)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            self.requests.append((url.path, query))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Connection: close\r\n\r\n")
            if url.path == "/quote/":
                writer.write(b"42\n")
            elif url.path == "/wait/":
                key = query.get("id", "")
                self.arrived(key).set()
                await self._release_event(key).wait()
                writer.write(f"{key}\n".encode())
            elif url.path == "/events/":
                await self._stream(query, reader, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _stream(self, query, reader, writer):
        topic, sent = query.get("topic", ""), int(query.get("after", "0"))
        self.opened(topic).set()
        eof = asyncio.ensure_future(reader.read())  # b"" once the client closes
        try:
            while True:
                for event_id, data in self._events[topic]:
                    if event_id > sent:
                        writer.write(f"{event_id} {data}\n".encode())
                        sent = event_id
                await writer.drain()
                changed = asyncio.ensure_future(self._change(topic).wait())
                done, _ = await asyncio.wait({eof, changed}, return_when=asyncio.FIRST_COMPLETED)
                changed.cancel()
                if eof in done:
                    self.ended[topic] = f"the client closed the connection ({eof.result()!r})"
                    return
        except BaseException as error:
            self.ended[topic] = repr(error)
            raise
        finally:
            self.closed(topic).set()
            eof.cancel()

    def __enter__(self):
        started = threading.Event()

        async def main():
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            started.set()
            async with server:
                await self._stop.wait()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise AssertionError("the upstream service did not start")
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)
