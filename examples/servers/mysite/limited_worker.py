"""A Gunicorn worker class that bounds the requests each worker runs at once.

uvicorn-worker 0.4 does not pass Gunicorn's --worker-connections on to
Uvicorn, so with its UvicornWorker that setting does nothing. This worker
gives it to Uvicorn as its concurrency limit. Start Gunicorn with
`-k mysite.limited_worker.LimitedUvicornWorker --worker-connections N`.
"""

from uvicorn_worker import UvicornWorker


class LimitedUvicornWorker(UvicornWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Uvicorn's --limit-concurrency, from Gunicorn's --worker-connections
        # (1000 unless you set it).
        self.config.limit_concurrency = self.cfg.worker_connections
