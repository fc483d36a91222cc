"""Attachment endpoints: the table's rows × personas, then limits and downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.models import Attachment
from tickets.tests.api.support import text_file
from tickets.tests.api.table import case_id, check, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("row", rows("attachments"), ids=case_id)
def test_permission_matrix(row, world, as_user):
    check(row, world, as_user)


def test_customer_list_leaves_out_files_on_internal_notes(world, as_user, people):
    url = f"/api/v1/tickets/{world['ticket'].pk}/attachments/"
    assert [a["filename"] for a in as_user(people["customer"]).get(url).json()["results"]] == ["notes.txt"]
    assert [a["filename"] for a in as_user(people["agent"]).get(url).json()["results"]] == ["notes.txt", "internal.txt"]


def test_download_headers(world, as_user, people):
    response = as_user(people["customer"]).get(f"/api/v1/attachments/{world['public_attachment'].pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"The invoice number is 2026-0042.\n"
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_too_large_is_413(world, as_user, people, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 10
    response = as_user(people["customer"]).post(
        f"/api/v1/tickets/{world['ticket'].pk}/attachments/", {"file": text_file()}, format="multipart"
    )
    assert response.status_code == 413
    assert "file" in response.json()


def test_upload_to_own_message_and_not_to_another_tickets(world, as_user, people, customer):
    from tickets import services

    ticket = world["ticket"]
    url = f"/api/v1/tickets/{ticket.pk}/attachments/"
    ok = as_user(customer).post(url, {"file": text_file("late.txt"), "message": world["reply"].pk}, format="multipart")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["message"] == world["reply"].pk
    elsewhere = services.ticket_create(
        actor=customer, subject="Other thing", description="Something else entirely here."
    )
    wrong = as_user(customer).post(
        f"/api/v1/tickets/{elsewhere.pk}/attachments/",
        {"file": text_file(), "message": world["reply"].pk},
        format="multipart",
    )
    assert wrong.status_code == 400
    assert "message" in wrong.json()


def test_empty_file_is_400(world, as_user, people):
    response = as_user(people["customer"]).post(
        f"/api/v1/tickets/{world['ticket'].pk}/attachments/",
        {"file": SimpleUploadedFile("empty.txt", b"", content_type="text/plain")},
        format="multipart",
    )
    assert response.status_code == 400
    assert Attachment.objects.count() == 2


def test_download_from_a_storage_whose_urls_cannot_carry_the_headers_is_streamed(customer, as_user, settings):
    """A storage that serves files itself but whose URLs cannot carry our content type and
    disposition (Django's InMemoryStorage here) is not redirected to: the API streams the file
    with the download headers, as the page does (S3 redirects: tickets/tests/test_downloads.py)."""
    from tickets import services

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://files.example/"},
        },
    }
    ticket = services.ticket_create(
        actor=customer,
        subject="File in a bucket",
        description="The attachment lives in object storage.",
        attachments=[text_file()],
    )
    attachment = ticket.attachments.get()
    response = as_user(customer).get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"].startswith("text/plain")


def test_several_files_in_one_upload_are_refused_not_dropped(world, as_user, people):
    response = as_user(people["customer"]).post(
        f"/api/v1/tickets/{world['ticket'].pk}/attachments/",
        {"file": [text_file("one.txt"), text_file("two.txt")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()
    assert Attachment.objects.count() == 2
