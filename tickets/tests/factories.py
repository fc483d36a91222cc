"""Small builders for test data, all going through services as a user would."""

from __future__ import annotations

import io

from tickets import services

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    """An uploaded file as Django hands it to a view."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def png(name: str = "screenshot.png"):
    return upload(name, PNG_BYTES, "image/png")


def pdf(name: str = "invoice.pdf"):
    return upload(name, PDF_BYTES, "application/pdf")


def text_file(name: str = "notes.txt", content: str = "Steps to reproduce:\n1. Open the invoice page\n"):
    return upload(name, content.encode(), "text/plain")


def make_ticket(
    requester,
    *,
    subject: str = "Printer is on fire",
    description: str = "It started smoking after the update.",
    **kwargs,
):
    return services.ticket_create(actor=requester, subject=subject, description=description, **kwargs)


def stream(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
