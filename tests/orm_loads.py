"""The ORM objects a block of code loads on the test's own thread.

Class-wide ``load`` events also see other threads: a session-long app of other tests (the
browser tests' live server) indexes and repairs in the background and loads threads of its
own. Counting only this thread keeps a test's figure its own.
"""
import threading
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def loads_here(*models):
    """Yield ``{model: [ids loaded on this thread]}`` filled while the block runs."""
    here = threading.get_ident()
    loaded = {model: [] for model in models}

    def listener(model):
        def record(target, context):
            if threading.get_ident() == here:
                loaded[model].append(target.id)
        return record

    listeners = [(model, listener(model)) for model in models]
    for model, fn in listeners:
        event.listen(model, "load", fn)
    try:
        yield loaded
    finally:
        for model, fn in listeners:
            event.remove(model, "load", fn)
