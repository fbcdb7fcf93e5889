"""What a program's correction changes, as the reviewer and the public read it."""

import pytest

from metrics.workflow import history
from programs.models import Program
from tests.factories import ActivityFactory, OutcomeFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_a_changed_part_shows_only_the_fields_that_changed():
    program = ProgramFactory(budget_yuan=None)
    activity = ActivityFactory(program=program, title_en="Farm livestreams", event_count=85)
    before = history.snapshot(program)
    activity.event_count = 86
    activity.save()
    Program.objects.filter(pk=program.pk).update(budget_yuan=800000)
    program.refresh_from_db()
    assert history.differences(Program, before, history.snapshot(program)) == [
        ("budget (yuan)", None, "800000.00"),
        (
            "activity",
            "kind=livestream_events; title_en=Farm livestreams; event_count=85",
            "kind=livestream_events; title_en=Farm livestreams; event_count=86",
        ),
    ]


def test_parts_added_and_removed_are_shown_whole():
    program = ProgramFactory()
    outcome = OutcomeFactory(program=program)
    before = history.snapshot(program)
    outcome.delete()
    after = history.snapshot(program)
    [(label, removed, added)] = history.differences(Program, before, after)
    assert label == "outcome"
    assert removed.startswith(f"metric={outcome.metric.slug}")
    assert added is None


def test_nothing_changed_shows_nothing():
    program = ProgramFactory()
    ActivityFactory(program=program)
    assert history.differences(Program, history.snapshot(program), history.snapshot(program)) == []
