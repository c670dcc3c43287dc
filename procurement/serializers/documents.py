"""Serializers of documents (multipart upload)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procurement.choices import (
    DocumentStage,
    DocumentType,
)
from procurement.models import (
    ContractingProcess,
    Document,
)
from procurement.serializers.common import published_at_field


class DocumentOutputSerializer(serializers.ModelSerializer[Document]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "process",
            "stage",
            "document_type",
            "title",
            "description",
            "sha256",
            "size",
            "media_type",
            "language",
            "supersedes",
            "original_name",
            "uploaded_at",
            "published_at",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, document: Document) -> str:
        path = reverse("procurement:document-download", kwargs={"pk": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DocumentInputSerializer(serializers.Serializer[Any]):
    process = serializers.PrimaryKeyRelatedField(queryset=ContractingProcess.objects.all())
    file = serializers.FileField(allow_empty_file=True, max_length=255)  # emptiness is the service's check
    stage = serializers.ChoiceField(choices=DocumentStage.choices)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    language = serializers.CharField(max_length=8, required=False, default="ko")
    supersedes = serializers.PrimaryKeyRelatedField(queryset=Document.objects.all(), required=False, allow_null=True)
    published_at = published_at_field()
