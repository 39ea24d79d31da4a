"""gunicorn settings for Dialogue: many long-lived live streams beside ordinary requests.

Every open live screen (projector, resident's phone, secretary's console) holds one
Server-Sent Events stream for up to half an hour (then the browser reconnects and resumes).
Two ways to serve, chosen by ``DIALOGUE_WORKER_CLASS``:

- ``gthread`` (the default): a stream holds one worker thread. Enough for a ward or two, and
  the only model for ordinary requests (saves, pages, PDF rendering that holds the CPU for
  seconds, which would stall every stream of a gevent worker).
- ``gevent``: for the streams service only. A stream is a greenlet of a few kilobytes, so one
  worker holds thousands; the standard library is patched when the worker starts, before the
  application is imported (psycopg then waits through gevent, see ``post_worker_init``).

A deployment runs both on the same code, and the reverse proxy sends the stream URLs to the
second (Redis carries changes between them):

    gunicorn -c gunicorn.conf.py wsgi:app                                  # dialogue-web
    DIALOGUE_BIND=127.0.0.1:8001 DIALOGUE_WORKER_CLASS=gevent \
        gunicorn -c gunicorn.conf.py wsgi:app                              # dialogue-streams

Change the numbers with the environment variables read below.
"""

import logging
import multiprocessing
import os


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_redis = bool(os.environ.get("DIALOGUE_REDIS_URL", "").strip())

WORKER_CLASSES = ("gthread", "gevent")
worker_class = os.environ.get("DIALOGUE_WORKER_CLASS", "").strip() or "gthread"
if worker_class not in WORKER_CLASSES:
    raise RuntimeError(
        f"DIALOGUE_WORKER_CLASS={worker_class!r}: use gthread (pages and saves) or gevent "
        "(the live streams service)"
    )
_gevent = worker_class == "gevent"

bind = os.environ.get("DIALOGUE_BIND", "127.0.0.1:8000")
# Live changes reach the streams of other processes only through Redis: without it, one
# process serves everyone.
workers = _number("DIALOGUE_WORKERS", min(4, max(2, multiprocessing.cpu_count())) if _redis else 1)
# gthread: open streams per worker, plus room for ordinary requests. gevent has no threads.
threads = 1 if _gevent else _number("DIALOGUE_THREADS", 200)
# Connections a worker accepts at once (open streams and idle keep-alive connections); with
# gevent each open stream is one of them, so a streams worker takes thousands.
worker_connections = _number("DIALOGUE_WORKER_CONNECTIONS", 10000 if _gevent else 1000)
# The worker proves it is alive from its own loop (a thread with gthread, a greenlet with
# gevent), not from requests: a stream held open for half an hour does not count against
# this, but a gevent worker whose hub is held up by a blocking call does.
timeout = _number("DIALOGUE_WORKER_TIMEOUT", 60)
# On restart, ordinary requests finish; streams are cut and the browsers resume on their own.
graceful_timeout = _number("DIALOGUE_GRACEFUL_TIMEOUT", 20)
keepalive = _number("DIALOGUE_KEEPALIVE", 5)
# The worker heartbeat file in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("DIALOGUE_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("DIALOGUE_LOG_LEVEL", "info")
proc_name = "dialogue"
# The runtime control socket is not used, and two servers on one machine would share its path.
control_socket_disable = True


def on_starting(server):
    if workers > 1 and not _redis:
        logging.getLogger("gunicorn.error").warning(
            "%s workers without DIALOGUE_REDIS_URL: a turn saved through one worker will not "
            "reach live screens connected to another. Set DIALOGUE_REDIS_URL or use one worker.",
            workers,
        )


def post_worker_init(worker):
    """Keep the loaded application out of the collector; end live streams at once on stop.

    A stream would otherwise hold the stop up for the whole graceful timeout; ended at once,
    its browser reconnects to a worker that is running and resumes where it was.
    """
    import gc
    import signal
    import threading

    # The loaded application (with SQLAlchemy and WeasyPrint) is ~170,000 objects that live as
    # long as the worker; frozen, the collector's full passes skip them. A full pass ran in
    # every PDF rendering: frozen, a 60-turn draft BB renders 7-9 % faster
    # (bench/README.md, minutes_render).
    gc.collect()
    gc.freeze()

    if _gevent:
        _check_cooperative_database_driver(worker)

    from dialogue.live.bus import close_bus

    begin_graceful_stop = worker.handle_exit

    def handle_exit(sig, frame):
        begin_graceful_stop(sig, frame)
        # Not in the signal handler itself: closing the bus waits for its listener thread.
        threading.Thread(target=close_bus, args=(worker.wsgi,), daemon=True).start()

    signal.signal(signal.SIGTERM, handle_exit)
    signal.siginterrupt(signal.SIGTERM, False)


def _check_cooperative_database_driver(worker):
    """Refuse to serve if psycopg waits for the server in C, which would stop every stream.

    psycopg 3 (3.1.14 on) picks its wait function when imported: the C one, unless gevent has
    patched ``select`` by then, which the gevent worker does before it loads the application.
    An application imported earlier (``preload_app``, or a hook importing it in the master)
    would get the C wait and hold the whole worker during every query.
    """
    import sys

    waiting = sys.modules.get("psycopg.waiting")
    if waiting is None:
        return
    if getattr(waiting, "wait_c", None) is not None and waiting.wait is waiting.wait_c:
        worker.log.critical(
            "psycopg was imported before gevent patched the standard library: its queries "
            "would block every stream of this worker. Do not preload the application."
        )
        raise RuntimeError("psycopg does not cooperate with gevent in this worker")
