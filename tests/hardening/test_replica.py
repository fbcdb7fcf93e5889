"""The optional read replica serves public reads only."""

from django.test import RequestFactory

from config.routers import PublicReadsMiddleware, PublicReadsToReplica
from programs.models import Program


def route_of(method, path):
    router, seen = PublicReadsToReplica(), {}

    def view(request):
        seen["read"] = router.db_for_read(Program)
        seen["write"] = router.db_for_write(Program)
        return None

    request = getattr(RequestFactory(), method)(path)
    PublicReadsMiddleware(view)(request)
    return seen


def test_public_pages_read_from_the_replica_and_write_to_the_primary():
    assert route_of("get", "/programs/") == {"read": "replica", "write": "default"}
    assert route_of("get", "/api/observations/") == {"read": "replica", "write": "default"}


def test_staff_and_writes_stay_on_the_primary():
    assert route_of("get", "/admin/programs/program/")["read"] is None
    assert route_of("post", "/programs/")["read"] is None
    assert route_of("get", "/zh-hans/admin/")["read"] is None


def test_outside_a_request_everything_uses_the_primary():
    assert PublicReadsToReplica().db_for_read(Program) is None
    assert PublicReadsToReplica().allow_migrate("replica", "programs") is False
