from django.contrib.admin.apps import AdminConfig


class PolicyAdminConfig(AdminConfig):
    default_site = "config.admin.PolicyAdminSite"

    def ready(self):
        super().ready()
        from config import (
            checks,  # noqa: F401 - registers the project's deployment checks
            sign_ins,  # noqa: F401 - counts failed sign-ins per address
        )
