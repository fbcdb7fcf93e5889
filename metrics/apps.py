from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Statistics")

    def ready(self):
        from metrics.pinyin import register_collation

        connection_created.connect(register_collation, dispatch_uid="metrics-pinyin")
