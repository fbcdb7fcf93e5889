"""
Staff sessions that slide while they are used, with few writes.

A session ends SESSION_COOKIE_AGE after it was last saved. Saving it on
every request (SESSION_SAVE_EVERY_REQUEST) would write to the database on
each admin click, for nothing: the session's end only needs to be known to
within a few minutes. The session is saved
again only once SESSION_REFRESH_SECONDS have passed since its last save,
so it ends between SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS and
SESSION_COOKIE_AGE after the last request.
"""

import time

from django.conf import settings

REFRESHED_AT = "_refreshed_at"


class SlidingSessionMiddleware:
    """Re-save a used session once it is SESSION_REFRESH_SECONDS old; visitors get none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A visitor without a session cookie is not given one; a session
        # flushed by this request (sign-out) stays ended.
        if session is None or session.session_key is None:
            return response
        # Reading the keys loads the session: an unknown or expired cookie
        # comes back empty, and nothing is saved for it.
        if not any(key != REFRESHED_AT for key in session.keys()):
            return response
        now = int(time.time())
        if session.modified or now - session.get(REFRESHED_AT, 0) >= (
            settings.SESSION_REFRESH_SECONDS
        ):
            session[REFRESHED_AT] = now
        return response
