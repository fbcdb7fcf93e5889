"""
Optional read replica for the public pages.

With DATABASE_REPLICA_URL set, GET and HEAD requests outside the admin
read from the replica; everything else, and every write, uses the primary.
Staff therefore always see their own changes at once, while the public may
see them after the replica's lag.
"""

from contextvars import ContextVar

REPLICA = "replica"
_public_read = ContextVar("public_read", default=False)


class PublicReadsToReplica:
    def db_for_read(self, model, **hints):
        return REPLICA if _public_read.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class PublicReadsMiddleware:
    """Marks safe requests to public pages, for the router above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = request.method in ("GET", "HEAD") and "/admin/" not in request.path
        token = _public_read.set(public)
        try:
            return self.get_response(request)
        finally:
            _public_read.reset(token)
