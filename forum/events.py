"""What happened to threads, for the parts of the forum that build on them.

forum.threads sits below forum.notifications (which renders threads), so the threads
services announce events here instead of calling up; receivers run synchronously inside
the sender's transaction, before its commit, and add rows without committing.
"""
from blinker import Namespace

_events = Namespace()

# sender: the new Thread (its opening post attached)
thread_created = _events.signal("thread-created")
# sender: the new reply Post
reply_posted = _events.signal("reply-posted")
# sender: the edited Post; keyword `before`: its previous body
post_edited = _events.signal("post-edited")
# sender: the Thread; keyword `user`: the signed-in member who opened its page
thread_viewed = _events.signal("thread-viewed")
