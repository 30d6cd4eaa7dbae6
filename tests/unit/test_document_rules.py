from __future__ import annotations

from typing import Any

import pytest
from parley.domain.documents import (
    file_type,
    object_key,
    parse_upload_key,
    safe_filename,
    stored_prefixes,
    upload_key,
    uploads_prefix,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\Q3 plan (final).DOCX", "Q3_plan_final.docx"),
        ("ünïcödé név.md", "n_c_d_n_v.md"),
        ("...", "document"),
        ("no extension", "no_extension"),
        ("a" * 300 + ".txt", "a" * 150 + ".txt"),
    ],
)
def test_filenames_are_sanitized(given: Any, expected: Any) -> None:
    assert safe_filename(given) == expected


@pytest.mark.parametrize(
    ("filename", "content_type", "kind"),
    [
        ("a.pdf", "application/pdf", "pdf"),
        ("a.PDF", "application/pdf", "pdf"),
        ("a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ("a.htm", "text/html; charset=utf-8", "html"),
        ("a.md", "text/plain", "markdown"),
        ("a.csv", "application/vnd.ms-excel", "csv"),
        ("a.txt", "text/plain", "text"),
    ],
)
def test_supported_types(filename: Any, content_type: Any, kind: Any) -> None:
    found = file_type(filename, content_type)

    assert found is not None
    assert found.kind == kind


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("a.exe", "application/octet-stream"), ("a.pdf", "text/plain"), ("a.txt", "application/pdf"), ("a", "text/plain")],
)
def test_unsupported_or_mismatched_types(filename: Any, content_type: Any) -> None:
    assert file_type(filename, content_type) is None


def test_uploads_and_files_have_keys_of_their_own_and_uploads_round_trip() -> None:
    tenant, chatbot, document = "a" * 32, "b" * 32, "c" * 32

    upload = upload_key(tenant, chatbot, document)
    file = object_key(tenant, chatbot, document, "My File.pdf")

    assert upload == f"uploads/{tenant}/{chatbot}/{document}"
    assert file == f"tenants/{tenant}/chatbots/{chatbot}/documents/{document}/My_File.pdf"
    ref = parse_upload_key(upload)
    assert ref is not None
    assert (ref.tenant_id, ref.chatbot_id, ref.document_id) == (tenant, chatbot, document)
    assert parse_upload_key(file) is None  # a document's file is never taken for an upload
    assert [upload.startswith(prefix) for prefix in stored_prefixes(tenant, chatbot)] == [False, True]
    assert [file.startswith(prefix) for prefix in stored_prefixes(tenant)] == [True, False]
    assert not upload.startswith(uploads_prefix("a" * 31))


@pytest.mark.parametrize(
    "key", ["other/thing.pdf", "uploads/x/y/z", "uploads/" + "a" * 32, "uploads/" + "/".join(["a" * 32] * 3) + "/f"]
)
def test_foreign_keys_are_not_uploads(key: Any) -> None:
    assert parse_upload_key(key) is None
