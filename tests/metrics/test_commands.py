import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from metrics.models import Observation
from tests.factories import ObservationFactory, RegionFactory, ValidationRuleFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- check_figures ---------------------------------------------------------------


@pytest.mark.usefixtures("shanxi_once")
class TestCheckFiguresOnTheSeed:
    def test_lists_the_rural_share_of_the_seed(self):
        output = run("check_figures")
        [violation] = [line for line in output.splitlines() if "\t" in line]
        rule, region, period, message = violation.split("\t")
        assert rule == "rural-share-matches-sales"
        assert region == "140000 Shanxi"
        assert period == "Jan–Jun 2020"
        assert "31.3%" in message
        assert "57.7%" in message
        assert "1 violation(s) found." in output
        assert "rural-sales-within-online-sales" not in output

    def test_fail_exits_non_zero_on_a_violation(self):
        with pytest.raises(CommandError, match=r"1 violation\(s\) found"):
            run("check_figures", "--fail")


class TestCheckFigures:
    def test_fail_passes_when_the_figures_agree(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        ObservationFactory(metric=rule.subject, region=region, value=Decimal("6.21"))
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10.77"))
        assert "0 violation(s) found." in run("check_figures", "--fail")

    def test_published_only_ignores_drafts(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        ObservationFactory(metric=rule.subject, region=region, value=Decimal("12"))
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10"))
        assert "1 violation(s) found." in run("check_figures")
        assert "0 violation(s) found." in run("check_figures", "--published-only")
        Observation.objects.update(publication_state="published")
        assert "1 violation(s) found." in run("check_figures", "--published-only")


# --- create_demo_staff --------------------------------------------------------------


def password_from(output: str) -> str:
    match = re.search(r"password: (\S+)", output)
    assert match, output
    return match[1]


def log_in(client, username: str, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


class TestCreateDemoStaff:
    def test_prints_a_new_password_each_run_that_logs_in(self, client):
        first = password_from(run("create_demo_staff"))
        second = password_from(run("create_demo_staff"))
        assert first != second
        assert len(second) >= 12
        user = get_user_model().objects.get(username="demo-admin")
        assert user.is_staff and user.is_superuser

        refused = log_in(client, "demo-admin", first)
        assert refused.status_code == 200  # the login form again, with an error
        assert "_auth_user_id" not in client.session

        response = log_in(client, "demo-admin", second)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
        assert client.get(reverse("admin:index")).status_code == 200

    def test_says_whether_it_created_or_reset(self):
        assert "created" in run("create_demo_staff", "--username", "reviewer")
        assert "reset" in run("create_demo_staff", "--username", "reviewer")
        assert get_user_model().objects.filter(username="reviewer").count() == 1
