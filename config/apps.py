from django.contrib.admin.apps import AdminConfig


class PolicyAdminConfig(AdminConfig):
    default_site = "config.admin.PolicyAdminSite"
