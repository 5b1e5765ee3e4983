"""The entry point for production WSGI servers: `gunicorn 'forum.wsgi:app'`.

Each server worker process imports this after the fork, so each starts its own
search thread at once (keyword search immediately, meaning as soon as the model
and the index are mapped) instead of at its first request.
"""
import torch

from . import create_app

# One thread per query encoding: parallelism comes from the workers serving requests side
# by side. With torch's default pool (one thread per core) in every worker, the processes
# fight over the cores and a query that takes 50 ms alone took 800 ms under load (issue 9).
torch.set_num_threads(1)

app = create_app()
app.extensions["searching"].start_background()
