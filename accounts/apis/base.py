"""Foundations every API shares (provisioning's too): permission, schema, base view.

``ApiView`` checks the role's capability, honours ``Idempotency-Key`` on POST
and offers ``act`` (validate, call one service, show its result) and
``paginate`` (cursor pages). ``StrictSerializer`` refuses unknown fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from django.db.models import QuerySet
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.actors import signed_in
from accounts.idempotency import HEADER, IdempotentPostMixin


class HasCapability(permissions.BasePermission):
    """Allow people whose role grants the view's ``capability`` (as in the admin)."""

    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(view.capability))


class ApiSchema(openapi.AutoSchema):
    """Name nested serializers after their API: ``PersonCreateApi.InputSerializer``
    becomes the component ``PersonCreateInput``, so components never clash."""

    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        name = super().get_serializer_name(serializer, direction)
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer:
            name = outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return name


class ApiView(IdempotentPostMixin, APIView):
    """Base of every API: role capability check, Idempotency-Key on POST."""

    schema = ApiSchema()
    permission_classes = [HasCapability]
    capability = ""
    # Cursor pagination order, read by portal.api.IdCursorPagination.
    cursor_ordering = "id"
    # What act() reads and shows; each API declares its own.
    InputSerializer: type[serializers.BaseSerializer[Any]]
    OutputSerializer: type[serializers.BaseSerializer[Any]]

    def act(
        self, subject: Any, service: Any, *, status_code: int = status.HTTP_200_OK, **fixed: Any
    ) -> Response:
        """Validate the body, call ``service(subject, by=…, **fixed, **body)``, show its result."""
        data = self.InputSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        result = service(subject, by=signed_in(self.request), **fixed, **data.validated_data)
        return Response(self.OutputSerializer(result).data, status=status_code)

    def paginate(self, queryset: QuerySet[Any], serializer_class: type) -> Response:
        # APISettings imports the dotted path it holds; the stubs type the raw
        # setting (str | None).
        paginator_class = cast(type[BasePagination], api_settings.DEFAULT_PAGINATION_CLASS)
        paginator = paginator_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class StrictSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not know (typos fail loudly)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not recognised."] for name in unknown}
                )
        return super().to_internal_value(data)


def page_of(serializer_class: type, name: str) -> Any:
    """Return the schema of one cursor page of ``serializer_class`` items."""
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique string (up to 255 characters). A retry with the same key and "
    "body gets the first response again instead of doing the work twice.",
)


def idempotent_schema(**kwargs: Any) -> Any:
    """extend_schema for a POST that honours Idempotency-Key."""
    params = [*kwargs.pop("parameters", []), IDEMPOTENCY_PARAMETER]
    return extend_schema(parameters=params, **kwargs)
