from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class PolicyAdminConfig(AdminConfig):
    default_site = "config.admin.PolicyAdminSite"

    def ready(self):
        super().ready()
        from config import (
            checks,  # noqa: F401 - registers the project's deployment checks
            sign_ins,  # noqa: F401 - counts failed sign-ins per address
        )


# Third-party apps name themselves in English only; the admin shows these
# names (in the list of apps and the permissions of a role).


class SignInLockoutsConfig(AxesAppConfig):
    verbose_name = _("Sign-in lockouts")


class QueuedTasksConfig(TasksAppConfig):
    verbose_name = _("Queued tasks")
