"""gunicorn settings for Dialogue: many long-lived live streams beside ordinary requests.

Every open live screen (projector, resident's phone, secretary's console) holds one
Server-Sent Events stream, and a stream holds one worker thread for up to half an hour
(then the browser reconnects and resumes). Threads waiting on a stream cost little memory
and no database connection, so each worker runs many of them. Start with

    gunicorn -c gunicorn.conf.py wsgi:app

and change the numbers with the environment variables read below.
"""

import logging
import multiprocessing
import os


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_redis = bool(os.environ.get("DIALOGUE_REDIS_URL", "").strip())

bind = os.environ.get("DIALOGUE_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# Live changes reach the streams of other processes only through Redis: without it, one
# process serves everyone.
workers = _number("DIALOGUE_WORKERS", min(4, max(2, multiprocessing.cpu_count())) if _redis else 1)
# Open streams per worker, plus room for ordinary requests.
threads = _number("DIALOGUE_THREADS", 200)
# Connections a worker accepts at once (open streams and idle keep-alive connections).
worker_connections = _number("DIALOGUE_WORKER_CONNECTIONS", 1000)
# With gthread the worker proves it is alive from its main loop, not from requests; a stream
# held open for half an hour does not count against this.
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

    from dialogue.live.bus import close_bus

    begin_graceful_stop = worker.handle_exit

    def handle_exit(sig, frame):
        begin_graceful_stop(sig, frame)
        # Not in the signal handler itself: closing the bus waits for its listener thread.
        threading.Thread(target=close_bus, args=(worker.wsgi,), daemon=True).start()

    signal.signal(signal.SIGTERM, handle_exit)
    signal.siginterrupt(signal.SIGTERM, False)
