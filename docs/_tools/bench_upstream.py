"""The slow upstream service that `make bench` puts behind the streaming example.

    python docs/_tools/bench_upstream.py PORT DELAY_SECONDS

A separate process, on asyncio, listening on 127.0.0.1:PORT. It speaks just
enough HTTP/1.1 for the streaming example's views (mysite/views.py):

/quote/    waits DELAY_SECONDS, then answers "42\\n" (the async view's upstream)
/events/   answers at once with a 200 head and then holds the connection open,
           sending nothing, until the client closes it (each idle SSE
           connection of the example keeps one of these open)
/          answers "ok\\n" at once (bench.py asks it before it starts)

Every answer carries ``Connection: close``, as tests/upstream.py's do: the
body ends when the connection does. It prints "ready" once it listens and
runs until it is sent SIGTERM.
"""

import asyncio
import signal
import sys

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"


async def handle(reader, writer, delay: float) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].split(b"?", 1)[0]
        if path == b"/quote/":
            await asyncio.sleep(delay)
            writer.write(HEAD + b"42\n")
        elif path == b"/events/":
            writer.write(HEAD)
            await writer.drain()
            await reader.read()  # b"" once the client closes
        else:
            writer.write(HEAD + b"ok\n")
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port: int, delay: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    server = await asyncio.start_server(lambda r, w: handle(r, w, delay), "127.0.0.1", port,
                                        backlog=4096)
    print("ready", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
