"""Image previews (``attachments:preview``, ``tickets.thumbnails``): the download's permission
question, a small image of the right type, made once and kept in the storage, and never a 500
for a broken image or a decompression bomb."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from tickets import services, thumbnails
from tickets.models import Attachment
from tickets.tests.files import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), "location": str(tmp_path / "media")}},
    }


def _attach(actor, ticket, name: str, content: bytes, *, internal: bool = False) -> Attachment:
    services.message_add(
        actor=actor, ticket=ticket, body="Files", internal=internal, attachments=[upload(name, content)]
    )
    return Attachment.objects.filter(ticket=ticket).latest("id")


def _jpeg_bytes(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 128, 255)).save(out, "JPEG")
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels with almost no data: a decompression bomb's
    header, cheap to make."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def _replace_stored(attachment: Attachment, content: bytes) -> None:
    storage = attachment.file.storage
    storage.delete(attachment.file.name)
    assert storage.save(attachment.file.name, ContentFile(content)) == attachment.file.name


def _preview(client, user, attachment):
    client.force_login(user)
    return client.get(reverse("attachments:preview", args=[attachment.pk]))


def _size_and_format(response) -> tuple[tuple[int, int], str | None]:
    with Image.open(io.BytesIO(response.content)) as image:
        return image.size, image.format


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("customer", 200),
        ("agent", 200),
        ("team_agent", 200),
        ("admin", 200),
        ("other_customer", 404),
        ("other_team_agent", None),  # whatever the download answers
        ("org_member", None),
    ],
)
def test_the_preview_asks_the_downloads_question(client, request, customer, ticket, persona, status):
    attachment = _attach(customer, ticket, "shot.png", png_bytes(40, 20))
    user = request.getfixturevalue(persona)
    client.force_login(user)
    preview = client.get(reverse("attachments:preview", args=[attachment.pk]))
    download = client.get(reverse("attachments:download", args=[attachment.pk]))
    assert preview.status_code == download.status_code
    if status is not None:
        assert preview.status_code == status


def test_anonymous_gets_no_preview(client, customer, ticket):
    attachment = _attach(customer, ticket, "shot.png", png_bytes(40, 20))
    response = client.get(reverse("attachments:preview", args=[attachment.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"] or "login" in response["Location"]


def test_a_file_on_an_internal_note_has_no_preview_for_the_customer(client, customer, agent, ticket):
    attachment = _attach(agent, ticket, "internal.png", png_bytes(40, 20), internal=True)
    assert _preview(client, customer, attachment).status_code == 404
    assert _preview(client, agent, attachment).status_code == 200


def test_png_preview_is_at_most_320_with_the_aspect_kept(client, customer, ticket):
    attachment = _attach(customer, ticket, "wide.png", png_bytes(800, 400))
    response = _preview(client, customer, attachment)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert _size_and_format(response) == ((320, 160), "PNG")


def test_jpeg_preview_stays_jpeg_and_small_images_are_not_enlarged(client, customer, ticket):
    tall = _attach(customer, ticket, "tall.jpg", _jpeg_bytes(300, 1200))
    small = _attach(customer, ticket, "small.jpg", _jpeg_bytes(100, 50))
    response = _preview(client, customer, tall)
    assert response["Content-Type"] == "image/jpeg"
    assert _size_and_format(response) == ((80, 320), "JPEG")
    assert _size_and_format(_preview(client, customer, small)) == ((100, 50), "JPEG")


def test_the_preview_is_made_once_and_then_read_from_the_storage(client, customer, ticket, monkeypatch):
    attachment = _attach(customer, ticket, "shot.png", png_bytes(640, 640))
    calls = []
    real_render = thumbnails.render

    def counting_render(source, attachment):
        calls.append(attachment.pk)
        return real_render(source, attachment)

    monkeypatch.setattr(thumbnails, "render", counting_render)
    first = _preview(client, customer, attachment)
    assert attachment.file.storage.exists(thumbnails.storage_key(attachment))
    second = _preview(client, customer, attachment)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content
    assert calls == [attachment.pk]


def test_the_preview_is_kept_through_the_storage_api(client, customer, ticket, settings):
    """Not only on local disk: any storage (here Django's in-memory one) keeps the preview."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    attachment = _attach(customer, ticket, "shot.png", png_bytes(400, 100))
    first = _preview(client, customer, attachment)
    assert first.status_code == 200
    assert attachment.file.storage.exists(thumbnails.storage_key(attachment))
    assert _size_and_format(first) == ((320, 80), "PNG")


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\nnot really an image at all", png_bytes(50, 50)[:60], _png_header_only(20_000, 20_000)],
    ids=["garbage", "truncated", "decompression-bomb"],
)
def test_an_unreadable_image_or_a_bomb_is_404_not_5xx(client, customer, ticket, content):
    attachment = _attach(customer, ticket, "shot.png", png_bytes(40, 20))
    _replace_stored(attachment, content)
    response = _preview(client, customer, attachment)
    assert response.status_code == 404
    assert not attachment.file.storage.exists(thumbnails.storage_key(attachment))


def test_a_file_that_is_not_an_image_has_no_preview(client, customer, ticket):
    attachment = _attach(customer, ticket, "doc.pdf", pdf_bytes())
    assert _preview(client, customer, attachment).status_code == 404


def test_missing_stored_file_is_404(client, customer, ticket):
    attachment = _attach(customer, ticket, "shot.png", png_bytes(40, 20))
    attachment.file.storage.delete(attachment.file.name)
    assert _preview(client, customer, attachment).status_code == 404


@pytest.mark.parametrize(("who", "page"), [("customer", "portal:ticket"), ("agent", "agent:ticket")])
def test_ticket_pages_show_a_preview_for_images_only(client, request, customer, ticket, who, page):
    image = _attach(customer, ticket, "screen shot.png", png_bytes(40, 20))
    document = _attach(customer, ticket, "invoice.pdf", pdf_bytes())
    client.force_login(request.getfixturevalue(who))
    body = client.get(reverse(page, args=[ticket.pk])).content.decode()
    image_src = reverse("attachments:preview", args=[image.pk])
    assert f'src="{image_src}"' in body
    assert 'loading="lazy"' in body
    assert 'alt="screen shot.png"' in body
    assert reverse("attachments:preview", args=[document.pk]) not in body
    # The img sits inside the download link.
    download = reverse("attachments:download", args=[image.pk])
    start = body.index(f'href="{download}"')
    assert body.index(f'src="{image_src}"') < body.index("</a>", start)


# --- the API's previews ---------------------------------------------------------------------------


def _api_get(user, path: str):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api.get(path)


def test_the_api_lists_a_preview_url_for_images_only(customer, ticket):
    image = _attach(customer, ticket, "shot.png", png_bytes(400, 100))
    document = _attach(customer, ticket, "invoice.pdf", pdf_bytes())
    rows = {row["id"]: row for row in _api_get(customer, f"/api/v1/tickets/{ticket.pk}/attachments/").json()["results"]}
    assert rows[image.pk]["preview_url"] == f"http://testserver/api/v1/attachments/{image.pk}/preview/"
    assert rows[document.pk]["preview_url"] is None


@pytest.mark.parametrize(("persona", "status"), [("customer", 200), ("agent", 200), ("other_customer", 404)])
def test_the_api_preview_asks_the_downloads_question(request, customer, ticket, persona, status):
    attachment = _attach(customer, ticket, "shot.png", png_bytes(400, 100))
    response = _api_get(request.getfixturevalue(persona), f"/api/v1/attachments/{attachment.pk}/preview/")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/png"
        assert _size_and_format(response) == ((320, 80), "PNG")
    else:
        assert b"PNG" not in response.content


def test_the_api_preview_of_a_note_file_is_404_for_the_customer(customer, agent, ticket):
    attachment = _attach(agent, ticket, "internal.png", png_bytes(40, 20), internal=True)
    assert _api_get(customer, f"/api/v1/attachments/{attachment.pk}/preview/").status_code == 404
    assert _api_get(customer, f"/api/v1/attachments/{attachment.pk}/download/").status_code == 404


def test_the_api_preview_of_a_document_is_404(customer, ticket):
    attachment = _attach(customer, ticket, "doc.pdf", pdf_bytes())
    response = _api_get(customer, f"/api/v1/attachments/{attachment.pk}/preview/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- previews go with their files -----------------------------------------------------------------


def test_deleting_a_ticket_removes_its_previews_but_not_shared_ones(
    client, customer, other_customer, admin, ticket, django_capture_on_commit_callbacks
):
    from tickets.tests.factories import make_ticket

    only_here = _attach(customer, ticket, "only.png", png_bytes(300, 300))
    shared = _attach(customer, ticket, "shared.png", png_bytes(200, 100))
    elsewhere = make_ticket(requester=other_customer)
    shared_copy = _attach(other_customer, elsewhere, "copy.png", png_bytes(200, 100))
    assert shared_copy.sha256 == shared.sha256 and only_here.sha256 != shared.sha256
    for attachment in (only_here, shared):
        assert _preview(client, customer, attachment).status_code == 200
    storage = only_here.file.storage
    only_key, shared_key = thumbnails.storage_key(only_here), thumbnails.storage_key(shared)
    assert storage.exists(only_key) and storage.exists(shared_key)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_delete(actor=admin, ticket=ticket)

    assert not storage.exists(only_key)
    assert storage.exists(shared_key)  # another ticket's attachment still shows it
    assert _preview(client, other_customer, shared_copy).status_code == 200


def test_check_attachments_reports_and_removes_orphaned_previews(client, customer, ticket, capsys):
    from django.core.management import call_command

    attachment = _attach(customer, ticket, "shot.png", png_bytes(300, 300))
    assert _preview(client, customer, attachment).status_code == 200
    storage = attachment.file.storage
    orphan = f"thumbnails/{'ab' * 32}-{thumbnails.MAX_SIZE}.png"
    storage.save(orphan, ContentFile(b"left behind"))

    with pytest.raises(SystemExit):
        call_command("check_attachments")
    out = capsys.readouterr().out
    assert f"orphaned file: {orphan}" in out
    assert thumbnails.storage_key(attachment) not in out

    call_command("check_attachments", "--delete-orphans", "--min-age-minutes", "0")
    assert not storage.exists(orphan)
    assert storage.exists(thumbnails.storage_key(attachment))
