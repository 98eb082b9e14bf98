"""A Gunicorn worker class for Django's own asgi.py.

uvicorn-worker 0.4 has no Gunicorn setting for Uvicorn's `lifespan` option,
but it passes CONFIG_KWARGS to Uvicorn's Config as they are. Start Gunicorn
with `-k mysite.workers.NoLifespanUvicornWorker` to run the application
that `startproject` generates without the lifespan message in the log.
"""

from uvicorn_worker import UvicornWorker


class NoLifespanUvicornWorker(UvicornWorker):
    # The worker's own settings ("loop" and "http"), plus Uvicorn's
    # --lifespan off: never send the lifespan scope.
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "lifespan": "off"}
