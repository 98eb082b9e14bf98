"""A small pure ASGI router to put in front of Django, with no framework."""


class PrefixRouter:
    """Send each connection to the application mounted at its path prefix.

    ``mounts`` maps a prefix such as "/django" to an ASGI application. A
    request for "/django/where/" goes to that application with "/django"
    added to scope["root_path"]. The path itself stays whole: an ASGI path
    includes the root path, and Django strips the root path off again before
    it matches its URLconf. Paths under no prefix go to ``default``.

    The router answers the lifespan protocol itself, because Django's ASGI
    handler raises an error for it.
    """

    def __init__(self, mounts, default):
        # Longest prefix first, so that "/api/v2" wins over "/api".
        self.mounts = sorted(mounts.items(), key=lambda item: len(item[0]), reverse=True)
        self.default = default

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return

        root_path = scope.get("root_path", "")
        path = scope["path"].removeprefix(root_path)
        for prefix, app in self.mounts:
            if path == prefix or path.startswith(prefix + "/"):
                await app({**scope, "root_path": root_path + prefix}, receive, send)
                return
        await self.default(scope, receive, send)

    async def lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Open connection pools and the like here.
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # ...and close them here.
                await send({"type": "lifespan.shutdown.complete"})
                return
