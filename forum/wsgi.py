"""The entry point for production WSGI servers: `gunicorn 'forum.wsgi:app'`.

Each server worker process imports this after the fork, so each starts its own
search thread at once (keyword search immediately, meaning as soon as the model
and the index are mapped) instead of at its first request.
"""
from . import create_app

app = create_app()
app.extensions["searching"].start_background()
