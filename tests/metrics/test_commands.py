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
    def test_lists_the_rural_share_and_the_derived_national_growth_of_the_seed(self):
        output = run("check_figures")
        lines = [line for line in output.splitlines() if "\t" in line]
        by_rule = {line.split("\t")[0]: line for line in lines}
        assert sorted(by_rule) == [
            "derived-national-online-growth-matches-physical-goods",
            "derived-national-online-growth-matches-reported",
            "rural-share-matches-sales",
        ]
        assert "+9.4%" in by_rule["derived-national-online-growth-matches-reported"]
        assert "+7.3%" in by_rule["derived-national-online-growth-matches-reported"]
        rule, region, period, message = by_rule["rural-share-matches-sales"].split("\t")
        assert rule == "rural-share-matches-sales"
        assert region == "140000 Shanxi"
        assert period == "Jan–Jun 2020"
        assert "31.3%" in message
        assert "57.7%" in message
        assert "3 violation(s) found." in output
        assert "rural-sales-within-online-sales" not in output

    def test_fail_exits_non_zero_on_a_violation(self):
        with pytest.raises(CommandError, match=r"3 violation\(s\) found"):
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


def passwords_from(output: str) -> dict[str, str]:
    found = dict(re.findall(r"^\s+(demo-\S+)\s+(\S+)\s+\(", output, flags=re.M))
    assert found, output
    return found


def log_in(client, username: str, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


class TestCreateDemoStaff:
    def test_prints_a_new_password_each_run_that_logs_in(self, client, shanxi):
        first = passwords_from(run("create_demo_staff"))["demo-admin"]
        second = passwords_from(run("create_demo_staff"))["demo-admin"]
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

    def test_one_account_per_role_with_its_regions(self, shanxi):
        passwords = passwords_from(run("create_demo_staff"))
        assert set(passwords) == {"demo-admin", "demo-editor", "demo-reviewer", "demo-viewer"}
        assert len(set(passwords.values())) == 4
        editor = get_user_model().objects.get(username="demo-editor")
        assert [group.name for group in editor.groups.all()] == ["editor"]
        assert [a.region.code for a in editor.region_assignments.all()] == ["141000"]
        run("create_demo_staff")
        assert editor.region_assignments.count() == 1  # reset, not duplicated

    @pytest.mark.parametrize(
        ("address", "printed"),
        [
            ("127.0.0.1:8080", "http://127.0.0.1:8080/admin/"),
            # `make run HOST=0.0.0.0`: every interface, reached here by the loopback.
            ("0.0.0.0:9000", "http://127.0.0.1:9000/admin/"),
            ("localhost:8001", "http://localhost:8001/admin/"),
            ("::1:8002", "http://[::1]:8002/admin/"),
            ("8003", "http://127.0.0.1:8003/admin/"),
            ("https://programs.example.org/", "https://programs.example.org/admin/"),
        ],
    )
    def test_prints_the_sign_in_address_it_is_given(self, address, printed):
        output = run("create_demo_staff", "--address", address)
        assert f"sign in at {printed}):" in output
        assert "127.0.0.1:8000" not in output

    def test_without_an_address_prints_the_site_url(self, settings):
        settings.SITE_URL = "http://staff.example.org:8443"
        assert "sign in at http://staff.example.org:8443/admin/):" in run("create_demo_staff")

    def test_refuses_an_address_without_a_port(self):
        with pytest.raises(CommandError, match="HOST:PORT"):
            run("create_demo_staff", "--address", "127.0.0.1")
