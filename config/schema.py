"""OpenAPI schema generation tweaks shared by every app."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Name nested `InputSerializer`/`OutputSerializer` classes after their view (`BookingCreateApi.InputSerializer`
    becomes `BookingCreateInput`), so that components of different endpoints never collide."""

    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, _, inner = qualname.rpartition(".")
            outer = outer.split(".")[-1].removesuffix("Api").removesuffix("ViewSet").removesuffix("View")
            name = outer + inner.removesuffix("Serializer")
        return name
