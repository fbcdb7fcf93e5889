"""
Staff accounts as the department sets them up: a role (a group made by the
migration) and the regions the account works on. The Shanxi demo gives the
regions: Shanxi (140000), Taiyuan (140100), Linfen (141000) and its counties.

The demo is loaded once for the whole package, in a transaction rolled back
after its last test; every test runs in its own savepoint, so nothing a
test writes reaches another.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from metrics.models import Metric, PublicationState, Region, Source
from metrics.periods import Period
from tests.conftest import _demo_in_an_outer_transaction
from tests.factories import (
    ObservationFactory,
    ProgramFactory,
    RegionAssignmentFactory,
    StaffFactory,
)
from tests.test_admin import url

PASSWORD = "correct-horse-battery"


@dataclass
class Demo:
    shanxi: Region
    taiyuan: Region
    linfen: Region
    county: Region  # 141023, a county of Linfen
    sales: Metric  # online retail sales, monthly, cumulative, in yuan
    source: Source


shanxi_package = pytest.fixture(scope="package", name="shanxi_package")(
    _demo_in_an_outer_transaction
)


@pytest.fixture
def demo(shanxi_package, db) -> Demo:
    regions = {region.code: region for region in Region.objects.all()}
    return Demo(
        shanxi=regions["140000"],
        taiyuan=regions["140100"],
        linfen=regions["141000"],
        county=regions["141023"],
        sales=Metric.objects.get(slug="online-retail-sales"),
        source=Source.objects.get(slug="chinadaily-2020-07-28-shanxi-livestreaming"),
    )


def make_staff(role: str | None, *regions: Region, username: str | None = None):
    """A staff account in the role's group, working on the given regions."""
    user = StaffFactory(**({"username": username} if username else {}))
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    for region in regions:
        RegionAssignmentFactory(user=user, region=region)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def linfen_editor(demo):
    return make_staff("editor", demo.linfen, username="linfen-editor")


@pytest.fixture
def taiyuan_editor(demo):
    return make_staff("editor", demo.taiyuan, username="taiyuan-editor")


@pytest.fixture
def reviewer(demo):
    return make_staff("reviewer", demo.shanxi, username="shanxi-reviewer")


@pytest.fixture
def viewer(demo):
    return make_staff("viewer", demo.shanxi, username="shanxi-viewer")


@pytest.fixture
def linfen_client(linfen_editor):
    return client_for(linfen_editor)


@pytest.fixture
def taiyuan_client(taiyuan_editor):
    return client_for(taiyuan_editor)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


# --- Records in two cities ----------------------------------------------------------------


def draft_observation(demo, region, *, period=None, **fields):
    """A draft of the demo's online retail sales for a region."""
    return ObservationFactory(
        metric=demo.sales,
        region=region,
        source=demo.source,
        period=period or Period.year_to_date(2020, 3),
        value=fields.pop("value", Decimal("1230000000")),
        **fields,
    )


def draft_program(region, **fields):
    return ProgramFactory(regions=[region], **fields)


@pytest.fixture
def linfen_draft(demo):
    return draft_observation(demo, demo.county)


@pytest.fixture
def taiyuan_draft(demo):
    return draft_observation(demo, demo.taiyuan)


@pytest.fixture
def linfen_program(demo):
    return draft_program(demo.linfen, title_en="Linfen orchard livestreams")


@pytest.fixture
def taiyuan_program(demo):
    return draft_program(demo.taiyuan, title_en="Taiyuan night-market campaign")


def decision_to(record, state: str) -> str:
    """The review step that takes the record (as it is stored now) to the state."""
    if state == PublicationState.DRAFT:
        current = type(record)._base_manager.get(pk=record.pk).publication_state
        return "reopen" if current == PublicationState.WITHDRAWN else "return"
    return {
        PublicationState.IN_REVIEW: "submit",
        PublicationState.PUBLISHED: "publish",
        PublicationState.WITHDRAWN: "withdraw",
    }[state]


def review(client, record, state: str, note: str = "", *, seen=None):
    """Post on a record's review page the decision that moves it to `state`."""
    return client.post(
        url(type(record), "review", record.pk),
        {
            "decision": decision_to(record, state),
            "note": note,
            "lock_version_seen": record.lock_version if seen is None else seen,
        },
    )


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run what a request leaves for its commit (queued jobs), as production would."""
    return django_capture_on_commit_callbacks
