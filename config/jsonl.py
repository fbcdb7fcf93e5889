"""
JSON Lines serialisation that keeps timestamps to the microsecond.

Django's encoder cuts datetimes to milliseconds, so a backup restored from
it would not be the records it was made from. Registered for "jsonl" in
SERIALIZATION_MODULES; reading is Django's own.
"""

import datetime

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder

Deserializer = jsonl.Deserializer


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder
