# ruff: noqa: F811  (`world` is a fixture imported from api_world)
"""Request size is bounded before it is read (DESIGN.md 5, API.md `request_too_large`, core.middleware).

A JSON body may have 1 MiB (1 048 576 bytes: that many pass, one more answers 413), for anonymous clients too and
before authentication; a body without a Content-Length is read up to the limit plus one byte; a declared length over
the limit is refused without a byte read. An uploaded file may have 25 MB (MiB): one byte more answers 413 and
nothing is left in MEDIA_ROOT or the upload temp folder. Form bodies go only to the document upload; elsewhere 415.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from procurement.models import Document
from scheduling.models import Booking
from tests.hardening.api_world import PDF_BYTES, World, db_snapshot, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

V = "/api/v1"
MIB = 1024 * 1024
JSON_LIMIT = MIB
FILE_LIMIT = 25 * MIB
UPLOAD_REQUEST_LIMIT = FILE_LIMIT + MIB
CSRF_SECRET = "a" * 32


class CountingInput(io.BytesIO):
    """A request body stream (the server's `wsgi.input`) that remembers how many bytes were read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with trailing whitespace (still valid JSON) to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def booking_body(w: World) -> dict[str, Any]:
    return {
        "backend": w.backend.pk,
        "project": w.project_a.pk,
        "start": "2026-03-03T01:00:00Z",
        "end": "2026-03-03T02:00:00Z",
        "purpose": "size test",
    }


def send(client: APIClient, url: str, raw: bytes, content_type: str = "application/json", **extra: Any) -> Any:
    return client.generic("POST", url, raw, content_type=content_type, **extra)


def assert_too_large(response: Any) -> None:
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "request_too_large"
    assert body["detail"].strip()


def multipart(fields: dict[str, Any], file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "qfr-size-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def document_fields(w: World) -> dict[str, Any]:
    return {"process": w.process.pk, "stage": "contract", "document_type": "contractSigned", "title": "Upload"}


@pytest.fixture
def upload_dirs(tmp_path: Path) -> Any:
    """MEDIA_ROOT and the upload temp folder, empty, so that a test can see whether anything was written."""
    media, temp = tmp_path / "media", tmp_path / "upload-tmp"
    media.mkdir()
    temp.mkdir()
    with override_settings(MEDIA_ROOT=media, FILE_UPLOAD_TEMP_DIR=temp):
        yield media, temp


def files_in(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


# --- JSON bodies ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("anonymous", f"{V}/auth/token/"),
        ("anonymous", f"{V}/bookings/"),
        ("researcher_a", f"{V}/bookings/"),
        ("root", f"{V}/procurement/processes/"),
    ],
)
def test_a_json_body_one_byte_over_1_mib_answers_413(world: World, role: str, url: str) -> None:
    before = db_snapshot()
    response = send(world.client(role), url, padded(booking_body(world), JSON_LIMIT + 1))
    assert_too_large(response)
    assert db_snapshot() == before


def test_a_json_body_of_exactly_1_mib_is_accepted(world: World) -> None:
    response = send(world.client("researcher_a"), f"{V}/bookings/", padded(booking_body(world), JSON_LIMIT))
    assert response.status_code == 201, response.content[:300]
    assert Booking.objects.filter(pk=response.json()["id"], purpose="size test").exists()


def test_an_anonymous_json_body_of_exactly_1_mib_reaches_the_view(world: World) -> None:
    body = padded({"username": "researcher_a", "password": "wrong"}, JSON_LIMIT)
    response = send(APIClient(), f"{V}/auth/token/", body)
    assert response.status_code == 400, response.content[:300]
    assert "non_field_errors" in response.json()


def test_the_size_is_checked_before_authentication(world: World) -> None:
    """A bad token with an oversized body answers 413, not 401: nothing looked at the credentials first."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_too_large(send(client, f"{V}/bookings/", b"[" + b" " * JSON_LIMIT + b"]"))
    assert send(client, f"{V}/bookings/", b"[]").status_code == 401


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(world: World) -> None:
    """The 100 MB anonymous body of the issue: answered from the header, not a byte of the body read."""
    body = CountingInput(b"x" * (JSON_LIMIT + 1))
    response = send(APIClient(), f"{V}/bookings/", b"{}", CONTENT_LENGTH=str(100 * MIB), **{"wsgi.input": body})
    assert_too_large(response)
    assert "104857600" in response.json()["detail"]
    assert body.bytes_read == 0


def test_a_body_longer_than_its_declared_length_is_read_only_up_to_that_length(world: World) -> None:
    """A Content-Length lie the other way: only the declared bytes are read, and they are truncated JSON."""
    body = CountingInput(json.dumps(booking_body(world)).encode() + b" " * (5 * MIB))
    before = db_snapshot()
    response = send(world.client("researcher_a"), f"{V}/bookings/", b"{}", CONTENT_LENGTH="20", **{"wsgi.input": body})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "parse_error"
    assert body.bytes_read == 20
    assert db_snapshot() == before


@pytest.mark.parametrize("role", ["anonymous", "researcher_a"])
def test_a_body_without_content_length_is_read_only_up_to_the_limit_plus_one(world: World, role: str) -> None:
    """Chunked transfer: the server ends the stream (`wsgi.input_terminated`) but declares no length."""
    body = CountingInput(padded(booking_body(world), 5 * MIB))
    before = db_snapshot()
    response = send(
        world.client(role),
        f"{V}/bookings/",
        b"{}",
        CONTENT_LENGTH="",
        **{"wsgi.input": body, "wsgi.input_terminated": True},
    )
    assert_too_large(response)
    assert body.bytes_read == JSON_LIMIT + 1
    assert db_snapshot() == before


def test_a_body_without_content_length_within_the_limit_is_used(world: World) -> None:
    body = CountingInput(padded(booking_body(world), JSON_LIMIT))
    response = send(
        world.client("researcher_a"),
        f"{V}/bookings/",
        b"{}",
        CONTENT_LENGTH="",
        **{"wsgi.input": body, "wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.content[:300]
    assert Booking.objects.filter(pk=response.json()["id"]).exists()


# --- content types -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("session", [False, True])
@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=qfr-size-boundary", "application/x-www-form-urlencoded"]
)
def test_a_form_body_on_a_json_endpoint_answers_415_unread(world: World, session: bool, content_type: str) -> None:
    """With a session, the CSRF check would parse a form body: it is refused before, whatever the credentials."""
    fields = {"backend": world.backend.pk, "project": world.project_a.pk, "start": "2026-03-03T01:00:00Z"}
    raw = multipart(fields, "a.pdf", PDF_BYTES)[0] if content_type.startswith("multipart") else b"backend=1&project=2"
    client = APIClient(enforce_csrf_checks=True)
    if session:
        client.force_login(world.users["researcher_a"])
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens['researcher_a']}")
    body = CountingInput(raw)
    before = db_snapshot()
    response = send(client, f"{V}/bookings/", raw, content_type=content_type, **{"wsgi.input": body})
    assert response.status_code == 415, response.content[:300]
    assert response.json()["code"] == "unsupported_media_type"
    assert body.bytes_read == 0
    assert db_snapshot() == before


def test_json_on_the_document_upload_answers_415(world: World) -> None:
    before = db_snapshot()
    response = send(world.client("procurement_officer"), f"{V}/procurement/documents/", b'{"title": "T"}')
    assert response.status_code == 415, response.content[:300]
    assert response.json()["code"] == "unsupported_media_type"
    assert db_snapshot() == before


# --- uploads -------------------------------------------------------------------------------------------------------


def test_a_file_of_25_mb_plus_one_byte_is_refused_and_nothing_is_written(world: World, upload_dirs: Any) -> None:
    media, temp = upload_dirs
    raw, content_type = multipart(
        document_fields(world), "big.pdf", PDF_BYTES + b"0" * (FILE_LIMIT + 1 - len(PDF_BYTES))
    )
    assert len(raw) <= UPLOAD_REQUEST_LIMIT  # passes the length check: the upload handler stops the file
    before = db_snapshot()
    response = send(world.client("procurement_officer"), f"{V}/procurement/documents/", raw, content_type=content_type)
    assert_too_large(response)
    assert "25 MB" in response.json()["detail"]
    assert files_in(media, temp) == []
    assert db_snapshot() == before


def test_a_file_of_exactly_25_mb_is_stored(world: World, upload_dirs: Any) -> None:
    media, temp = upload_dirs
    content = PDF_BYTES + b"0" * (FILE_LIMIT - len(PDF_BYTES))
    raw, content_type = multipart(document_fields(world), "big.pdf", content)
    response = send(world.client("procurement_officer"), f"{V}/procurement/documents/", raw, content_type=content_type)
    assert response.status_code == 201, response.content[:300]
    assert Document.objects.get(pk=response.json()["id"]).size == FILE_LIMIT
    assert [path.stat().st_size for path in files_in(media)] == [FILE_LIMIT]
    assert files_in(temp) == []


def test_an_upload_with_a_declared_length_over_the_limit_is_refused_unread(world: World, upload_dirs: Any) -> None:
    raw, content_type = multipart(document_fields(world), "big.pdf", PDF_BYTES)
    body = CountingInput(raw)
    response = send(
        APIClient(),
        f"{V}/procurement/documents/",
        raw,
        content_type=content_type,
        CONTENT_LENGTH=str(UPLOAD_REQUEST_LIMIT + 1),
        **{"wsgi.input": body},
    )
    assert_too_large(response)
    assert body.bytes_read == 0
    assert files_in(*upload_dirs) == []


def test_a_chunked_upload_over_the_limit_is_refused(world: World, upload_dirs: Any) -> None:
    raw, content_type = multipart(document_fields(world), "big.pdf", PDF_BYTES + b"0" * (UPLOAD_REQUEST_LIMIT + 10))
    body = CountingInput(raw)
    before = db_snapshot()
    response = send(
        world.client("procurement_officer"),
        f"{V}/procurement/documents/",
        b"{}",
        content_type=content_type,
        CONTENT_LENGTH="",
        **{"wsgi.input": body, "wsgi.input_terminated": True},
    )
    assert_too_large(response)
    assert body.bytes_read == UPLOAD_REQUEST_LIMIT + 1
    assert files_in(*upload_dirs) == []
    assert db_snapshot() == before


def test_a_chunked_upload_within_the_limit_is_stored(world: World, upload_dirs: Any) -> None:
    raw, content_type = multipart(document_fields(world), "small.pdf", PDF_BYTES)
    response = send(
        world.client("procurement_officer"),
        f"{V}/procurement/documents/",
        b"{}",
        content_type=content_type,
        CONTENT_LENGTH="",
        **{"wsgi.input": CountingInput(raw), "wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.content[:300]
    assert len(files_in(upload_dirs[0])) == 1


def test_form_fields_over_1_mib_in_an_upload_answer_413(world: World, upload_dirs: Any) -> None:
    fields = {**document_fields(world), "title": "x" * (JSON_LIMIT + 1)}
    raw, content_type = multipart(fields, "a.pdf", PDF_BYTES)
    before = db_snapshot()
    response = send(world.client("procurement_officer"), f"{V}/procurement/documents/", raw, content_type=content_type)
    assert_too_large(response)
    assert files_in(*upload_dirs) == []
    assert db_snapshot() == before


def test_a_session_upload_over_25_mb_is_refused_too(world: World, upload_dirs: Any) -> None:
    """A session-authenticated POST is parsed by Django's CSRF check, with the same upload handlers."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["procurement_officer"])
    client.cookies["csrftoken"] = CSRF_SECRET  # the CSRF check then reads the token from the form fields
    fields = {"csrfmiddlewaretoken": CSRF_SECRET, **document_fields(world)}
    raw, content_type = multipart(fields, "big.pdf", PDF_BYTES + b"0" * FILE_LIMIT)
    before = db_snapshot()
    response = send(client, f"{V}/procurement/documents/", raw, content_type=content_type)
    assert_too_large(response)
    assert files_in(*upload_dirs) == []
    assert db_snapshot() == before
