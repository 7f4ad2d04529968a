"""The `jsonx` serialization format: Django's JSON with datetimes and times kept to the microsecond.

Django's JSON encoder cuts datetimes to milliseconds, so a dump and load would change every timestamp (and break the
audit chain, whose hashes cover them). Backups dump in this format; loading is Django's JSON deserializer.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.serializers.json import Deserializer as JsonDeserializer
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JsonSerializer

__all__ = ["Deserializer", "ExactJSONEncoder", "Serializer"]

Deserializer = JsonDeserializer


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()
        return super().default(o)


class Serializer(JsonSerializer):
    def _init_options(self) -> None:
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder
