"""
Signing in to the staff site: five failed attempts for one account from one
address lock that pair out for 15 minutes with a 429 and a clear page, and
the lockout is logged; passwords are at least 12 characters; a session ends
25 to 30 minutes after its last request.
"""

import logging
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config import settings as project_settings
from config.sessions import REFRESHED_AT
from tests.factories import StaffFactory, SuperuserFactory
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": INDEX},
        REMOTE_ADDR=address,
    )


def fail(client, username, times, address="10.0.0.1"):
    return [
        sign_in(client, username, "wrong-password-123", address).status_code for _ in range(times)
    ]


@pytest.fixture
def staff():
    return StaffFactory(username="li.wei")


@pytest.fixture
def axes_log(caplog):
    """The 'axes' logger does not propagate to the root, so listen to it directly."""
    logger = logging.getLogger("axes")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.WARNING)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


class TestLockout:
    def test_a_good_password_signs_in(self, client, staff):
        response = sign_in(client, "li.wei", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == INDEX

    def test_five_failures_lock_the_account_on_that_address(self, client, staff):
        assert fail(client, "li.wei", 4) == [200] * 4
        fifth = sign_in(client, "li.wei", "wrong-password-123")
        assert fifth.status_code == 429
        response = sign_in(client, "li.wei", PASSWORD)
        assert response.status_code == 429
        html = response.content.decode()
        assert "Too many failed sign-ins" in html
        assert "This account has been locked on this computer after 5 failed sign-ins." in html
        assert "Try again in 15 minutes." in html
        assert "_auth_user_id" not in client.session

    def test_four_failures_do_not(self, client, staff):
        fail(client, "li.wei", 4)
        assert sign_in(client, "li.wei", PASSWORD).status_code == 302

    def test_another_account_is_not_locked(self, client, staff):
        StaffFactory(username="zhang.min")
        fail(client, "li.wei", 5)
        assert sign_in(client, "zhang.min", PASSWORD).status_code == 302

    def test_the_same_account_from_another_address_is_not_locked(self, client, staff):
        fail(client, "li.wei", 5, address="10.0.0.1")
        assert sign_in(Client(), "li.wei", PASSWORD, address="10.0.0.2").status_code == 302

    @pytest.mark.parametrize(("minutes", "answer"), [(14, 429), (16, 302)])
    def test_the_lockout_ends_after_15_minutes(self, client, staff, monkeypatch, minutes, answer):
        fail(client, "li.wei", 5)
        now = time.time()
        # Attempts are counted in the cache, which forgets them after the cool-off.
        monkeypatch.setattr(time, "time", lambda: now + minutes * 60)
        assert sign_in(client, "li.wei", PASSWORD).status_code == answer

    def test_the_lockout_is_logged(self, client, staff, axes_log):
        fail(client, "li.wei", 5)
        lockouts = [
            record
            for record in axes_log.records
            if record.name.startswith("axes") and "Locking out" in record.getMessage()
        ]
        assert len(lockouts) == 1, [record.getMessage() for record in axes_log.records]
        assert lockouts[0].levelno == logging.WARNING
        # The log is the record of lockouts (nothing is written to the
        # database for a visitor): it names the account and the address.
        message = lockouts[0].getMessage()
        assert "/admin/login/" in message
        assert "li.wei" in message and "10.0.0.1" in message

    def test_failed_sign_ins_write_nothing(self, client, staff):
        fail(client, "li.wei", 6)
        assert not AccessAttempt.objects.exists()

    def test_a_locked_out_user_gets_no_session(self, client, staff):
        fail(client, "li.wei", 5)
        sign_in(client, "li.wei", PASSWORD)
        assert client.get(INDEX).status_code == 302


class TestPasswordHashing:
    """Argon2id on one lane: a third of PBKDF2's processor time per check (config/hashers.py)."""

    @pytest.fixture(autouse=True)
    def project_hashers(self, settings):
        settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    def test_new_passwords_are_hashed_with_argon2id_on_one_lane(self):
        user = StaffFactory()
        user.set_password("a long enough passphrase")
        assert user.password.startswith("argon2$argon2id$v=19$m=102400,t=2,p=1$")
        assert user.check_password("a long enough passphrase")
        assert not user.check_password("a long enough passphrase!")

    def test_an_older_pbkdf2_hash_signs_in_and_is_rehashed(self, client):
        user = StaffFactory(username="zhang.min")
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        user.save()
        assert sign_in(client, "zhang.min", PASSWORD).status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")


class TestFailureBudgetPerAddress:
    """
    Reproduction (issue 13): a visitor sending a failed sign-in every two
    seconds, each under a new account name, was never locked out, and each
    attempt cost a password hash that slowed the public pages.
    """

    @pytest.fixture(autouse=True)
    def budget(self, settings):
        settings.SIGN_IN_FAILURE_BUDGET = "6/hour"

    def test_past_the_budget_no_password_is_checked(self, client, staff, monkeypatch):
        answers = [
            sign_in(client, f"intruder-{n}", "wrong-password-123").status_code for n in range(6)
        ]
        assert answers == [200] * 6  # the form again, with its error
        checked = []
        monkeypatch.setattr(
            "django.contrib.auth.hashers.check_password",
            lambda *args, **kwargs: checked.append(args) or False,
        )
        refused = sign_in(client, "intruder-7", "wrong-password-123")
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 3600
        assert "Too many sign-ins have failed from this address" in refused.content.decode()
        assert 'id="nav-sidebar"' not in refused.content.decode()  # nothing to browse yet
        # Even the right password waits: nothing is checked until the window ends.
        assert sign_in(client, "li.wei", PASSWORD).status_code == 429
        assert checked == []
        assert client.get(INDEX).status_code == 302

    def test_another_address_signs_in(self, client, staff):
        fail(client, "someone-else", 3)
        fail(client, "another", 3)
        assert sign_in(client, "li.wei", PASSWORD, address="10.0.0.2").status_code == 302

    def test_successful_sign_ins_do_not_count(self, client, staff):
        for _ in range(8):
            assert sign_in(client, "li.wei", PASSWORD).status_code == 302
            client.logout()

    def test_the_refusal_is_in_chinese_for_chinese_staff(self, client, staff):
        fail(client, "intruder", 6)
        refused = client.post(
            "/zh-hans" + LOGIN, {"username": "x", "password": "y"}, REMOTE_ADDR="10.0.0.1"
        )
        assert refused.status_code == 429
        assert "此地址登录失败次数过多" in refused.content.decode()


class TestPasswords:
    @pytest.mark.parametrize("password", ["Tr0ub4dor&3", "short-pw!"])
    def test_fewer_than_12_characters_are_refused(self, password):
        with pytest.raises(ValidationError) as error:
            password_validation.validate_password(password)
        assert (
            "This password is too short. It must contain at least 12 characters."
            in error.value.messages
        )

    def test_12_characters_are_enough(self):
        password_validation.validate_password("plum-kettle-92")

    def test_the_admin_refuses_a_short_password_for_a_new_account(self, admin_client):
        response = admin_client.post(
            reverse("admin:auth_user_add"),
            {
                "username": "new.editor",
                "usable_password": "true",
                "password1": "Tr0ub4dor&3",
                "password2": "Tr0ub4dor&3",
            },
        )
        assert response.status_code == 200
        assert not get_user_model().objects.filter(username="new.editor").exists()
        assert "at least 12 characters" in response.content.decode()


class TestSessions:
    def session(self, client) -> Session:
        return Session.objects.get(session_key=client.session.session_key)

    def age_session(self, client, minutes):
        """Make the stored session look `minutes` older, as if nobody had used it since."""
        stored = self.session(client)
        data = stored.get_decoded()
        data[REFRESHED_AT] -= minutes * 60
        Session.objects.filter(pk=stored.pk).update(
            session_data=SessionStore().encode(data),
            expire_date=stored.expire_date - timedelta(minutes=minutes),
        )

    def test_a_session_in_use_is_kept_30_minutes_longer(self, client):
        SuperuserFactory(username="admin.one")
        assert sign_in(client, "admin.one", PASSWORD).status_code == 302
        self.age_session(client, 25)  # five minutes left
        assert client.get(INDEX).status_code == 200
        left = self.session(client).expire_date - timezone.now()
        assert timedelta(minutes=29) < left <= timedelta(minutes=30)

    def test_requests_close_together_do_not_write_the_session(self, client):
        SuperuserFactory(username="admin.one")
        sign_in(client, "admin.one", PASSWORD)
        self.age_session(client, settings.SESSION_REFRESH_SECONDS // 60 - 1)
        before = self.session(client).expire_date
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INDEX).status_code == 200
        assert self.session(client).expire_date == before
        assert not [query for query in queries if "UPDATE" in query["sql"]]

    def test_an_idle_session_ends(self, client):
        SuperuserFactory(username="admin.one")
        sign_in(client, "admin.one", PASSWORD)
        assert client.get(INDEX).status_code == 200
        self.age_session(client, 31)  # 31 minutes without a request
        response = client.get(INDEX)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)

    def test_an_unknown_or_expired_cookie_is_dropped_not_turned_into_a_session(self, client):
        client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
        response = client.get("/programs/")
        assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""  # deleted
        assert not Session.objects.exists()

    def test_visitors_get_no_session_and_signing_out_ends_it(self, client):
        assert client.get("/programs/").cookies.get(settings.SESSION_COOKIE_NAME) is None
        SuperuserFactory(username="admin.one")
        sign_in(client, "admin.one", PASSWORD)
        key = client.session.session_key
        client.post(reverse("admin:logout"))
        assert not Session.objects.filter(session_key=key).exists()
        assert client.get(INDEX).status_code == 302
