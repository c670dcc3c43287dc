"""Procurement documents: checked uploads (size, type by extension and content), hashed, versioned."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from procurement.choices import DocumentStage, ReleaseTag
from procurement.models import ContractingProcess, Document
from procurement.services.history import history_created
from procurement.services.workflow import process_lock, release_append, release_date_next, release_tag_next

CHUNK = 64 * 1024


def _starts_with(*magics: bytes) -> Callable[[IO[bytes]], bool]:
    def check(stream: IO[bytes]) -> bool:
        stream.seek(0)
        head = stream.read(16)
        return any(head.startswith(magic) for magic in magics)

    return check


def _is_zip(stream: IO[bytes]) -> bool:
    stream.seek(0)
    return stream.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(stream)


def _is_office(stream: IO[bytes]) -> bool:
    # An Office Open XML file is a ZIP package with a content-types part.
    if not _is_zip(stream):
        return False
    stream.seek(0)
    with zipfile.ZipFile(stream) as package:
        return "[Content_Types].xml" in package.namelist()


def _is_text(stream: IO[bytes]) -> bool:
    """UTF-8 text without NUL bytes (a BOM is allowed)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Extension -> (media type, content check). Anything else is refused.
ALLOWED_TYPES: dict[str, tuple[str, Callable[[IO[bytes]], bool]]] = {
    ".pdf": ("application/pdf", _starts_with(b"%PDF-")),
    ".png": ("image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    ".zip": ("application/zip", _is_zip),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _is_office),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _is_office),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _is_office),
    ".txt": ("text/plain", _is_text),
    ".csv": ("text/csv", _is_text),
}

STAGE_TAGS = {
    DocumentStage.PLANNING: (ReleaseTag.PLANNING, ReleaseTag.PLANNING_UPDATE),
    DocumentStage.TENDER: (ReleaseTag.TENDER, ReleaseTag.TENDER_UPDATE),
    DocumentStage.AWARD: (ReleaseTag.AWARD, ReleaseTag.AWARD_UPDATE),
    DocumentStage.CONTRACT: (ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE),
    DocumentStage.IMPLEMENTATION: (ReleaseTag.IMPLEMENTATION, ReleaseTag.IMPLEMENTATION_UPDATE),
}


def document_file_name_safe(name: str) -> str:
    """The last path component of a client file name, without control characters (never used on disk)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return base[:200] or "document"


def document_upload_inspect(upload: UploadedFile) -> tuple[str, str, int]:
    """Check size and type; return (media type, SHA-256, size). Raises ValidationError on `file`."""
    size = upload.size or 0
    if size <= 0:
        raise ValidationError({"file": [_("The file is empty.")]}, code="empty")
    if size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)s MB.") % {"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}]},
            code="too_large",
        )
    suffix = PurePosixPath(document_file_name_safe(upload.name or "")).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        raise ValidationError(
            {"file": [_("File type %(ext)s is not accepted.") % {"ext": suffix or "(none)"}]}, code="type"
        )
    media_type, check = ALLOWED_TYPES[suffix]
    stream: IO[bytes] = upload.file  # type: ignore[assignment]
    if not check(stream):
        raise ValidationError(
            {"file": [_("The file's content does not match its type (%(type)s).") % {"type": media_type}]},
            code="type_mismatch",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    upload.seek(0)
    return media_type, digest.hexdigest(), size


@transaction.atomic
def document_create(
    *,
    process: ContractingProcess,
    user: User,
    file: UploadedFile,
    stage: str,
    document_type: str,
    title: str,
    language: str = "ko",
    description: str = "",
    supersedes: Document | None = None,
    published_at: dt.datetime | None = None,
) -> Document:
    """Store a checked upload under a generated name; a new version supersedes the old one, never overwrites it."""
    process = process_lock(process)
    published_at = release_date_next(process, published_at)  # the document's datePublished is its release's date
    media_type, sha256, size = document_upload_inspect(file)
    if supersedes is not None:
        supersedes = Document.objects.get(pk=supersedes.pk)
        if supersedes.process_id != process.pk:
            raise ValidationError({"supersedes": [_("That document belongs to another process.")]}, code="invalid")
        if Document.objects.filter(supersedes=supersedes).exists():
            raise ValidationError(
                {"supersedes": [_("That version has already been superseded; supersede the latest one.")]},
                code="already_superseded",
            )
    original = document_file_name_safe(file.name or "")
    document = Document(
        process=process,
        stage=stage,
        document_type=document_type,
        title=title,
        description=description,
        original_name=original,
        sha256=sha256,
        size=size,
        media_type=media_type,
        language=language,
        supersedes=supersedes,
        uploaded_by=user,
        published_at=published_at,
    )
    document.full_clean(exclude=["file"])
    document.file.save(original, file, save=False)  # upload_to generates the stored name
    try:
        document.save()
    except Exception:
        # A failed insert must not leave an orphaned file behind.
        document.file.delete(save=False)
        raise
    history_created(
        process=process,
        user=user,
        obj=document,
        fields=("stage", "document_type", "title", "sha256", "size", "media_type", "language", "supersedes"),
    )
    first, update = STAGE_TAGS[DocumentStage(stage)]
    release_append(process=process, tags=[release_tag_next(process, first, update)], published_at=published_at)
    return document
