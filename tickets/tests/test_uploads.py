"""A hostile upload corpus (issue 7): every file is refused with a 4xx-class error and a message a
person understands, and leaves no row and no stored file behind."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError

from tickets.exceptions import AttachmentTooLarge, UnsupportedFileType
from tickets.tests.factories import PDF_BYTES, PNG_BYTES, make_ticket, upload
from tickets.tests.test_services import counts, media_files


def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            # A fixed date: the same bytes in every test process (xdist compares test ids).
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    block = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(60):
            entry.write(block)
    return buffer.getvalue()


def _png_header(width: int, height: int) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
        + b"\0" * 64
    )


HOSTILE = [
    # (id, file name, content, expected error, words the message must contain)
    ("double-extension", "invoice.pdf.exe", PDF_BYTES, UnsupportedFileType, ".exe"),
    ("script-inside-name", "photo.php.png", PNG_BYTES, UnsupportedFileType, ".php"),
    ("null-byte-name", "photo.png\x00.html", PNG_BYTES, ValidationError, "control characters"),
    ("backslash-traversal", "..\\..\\windows\\win.ini", b"[fonts]\n", ValidationError, "folder"),
    (
        "html-as-text",
        "notes.txt",
        b"<!doctype html><html><body onload=alert(1)>hi</body></html>",
        UnsupportedFileType,
        "markup",
    ),
    (
        "svg-with-script",
        "logo.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        UnsupportedFileType,
        ".svg",
    ),
    (
        "gif-html-polyglot",
        "cat.gif",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(document.cookie)</script>",
        UnsupportedFileType,
        "web page code",
    ),
    ("type-extension-mismatch", "report.pdf", PNG_BYTES, UnsupportedFileType, "the name says .pdf"),
    ("limit-plus-one", "big.txt", b"x" * 1025, AttachmentTooLarge, "at most 1.0"),
    ("empty", "empty.txt", b"", ValidationError, "is empty"),
    ("zip-bomb", "archive.zip", None, UnsupportedFileType, "zip bomb"),
    ("pixel-flood", "huge.png", _png_header(100_000, 100_000), ValidationError, "megapixels"),
    (
        "exe-as-pdf",
        "statement.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 64,
        UnsupportedFileType,
        "executable",
    ),
    ("elf-as-text", "readme.txt", b"\x7fELF\x02\x01\x01" + b"\0" * 64, UnsupportedFileType, "executable"),
    (
        "pdf-with-javascript",
        "form.pdf",
        PDF_BYTES.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
        UnsupportedFileType,
        "scripts",
    ),
    ("unknown-binary", "data.bin", bytes(range(256)) * 4, UnsupportedFileType, "not recognised"),
    ("broken-zip", "archive.zip", b"PK\x03\x04" + b"\0" * 60, UnsupportedFileType, "archive"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "error", "words"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused_and_leaves_nothing(customer, settings, name, content, error, words):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1024 if name == "big.txt" else 10 * 1024 * 1024
    if content is None:
        content = _zip_bomb()
    before, files = counts(), media_files()
    with pytest.raises(error) as excinfo:
        make_ticket(customer, attachments=[upload("fine.png", PNG_BYTES), upload(name, content)])
    message = " ".join(excinfo.value.message_dict["attachments"])
    assert words in message, message
    assert counts() == before
    assert media_files() == files


def _docx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
        }
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screenshot.png", PNG_BYTES, "image/png"),
        ("SCREENSHOT.PNG", PNG_BYTES, "image/png"),
        ("photo", PNG_BYTES, "image/png"),
        ("statement.pdf", PDF_BYTES, "application/pdf"),
        ("export.csv", b"id,name\n1,Ada\n", "text/csv"),
        ("notes.txt", "Grüße aus Köln — ünïcödé is fine".encode(), "text/plain"),
        ("logs.zip", _zip({"app.log": b"started\n" * 100}), "application/zip"),
        ("letter.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("my.holiday.photo.png", PNG_BYTES, "image/png"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 60 else "content",
)
def test_ordinary_files_are_accepted(customer, name, content, content_type):
    ticket = make_ticket(customer, attachments=[upload(name, content)])
    (attachment,) = ticket.attachments.all()
    assert attachment.content_type == content_type
    assert attachment.filename == name


# --- finding what a crash left behind -----------------------------------------------------------


@pytest.mark.django_db
def test_check_attachments_finds_orphans_and_dangling_rows(customer, capsys, settings, tmp_path):
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from tickets import attachments
    from tickets.models import Attachment

    # A store of its own: files of earlier tests whose transactions were rolled back are orphans too.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path)}},
    }
    ticket = make_ticket(customer, attachments=[upload("kept.png", PNG_BYTES), upload("lost.pdf", PDF_BYTES)])
    call_command("check_attachments")  # a healthy store: exit code 0
    assert "0 orphaned file(s), 0 deleted; 0 attachment row(s) without a file." in capsys.readouterr().out

    # A failure right after the file write: the process dies before any row is written.
    checked = attachments.check_upload(upload("crash.png", PNG_BYTES))
    orphan = attachments.store(checked)
    # And a file removed behind the application's back.
    lost = Attachment.objects.get(ticket=ticket, filename="lost.pdf")
    default_storage.delete(lost.file.name)

    with pytest.raises(SystemExit) as exit_info:
        call_command("check_attachments")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert f"orphaned file: {orphan}" in out
    assert f"dangling row: attachment {lost.pk} on ticket #{ticket.pk}" in out

    # Young orphans are left alone (an upload may be in flight); old enough ones are deleted.
    with pytest.raises(SystemExit):
        call_command("check_attachments", "--delete-orphans")
    assert default_storage.exists(orphan)
    with pytest.raises(SystemExit):  # the dangling row is still reported
        call_command("check_attachments", "--delete-orphans", "--min-age-minutes", "0")
    assert not default_storage.exists(orphan)
    assert default_storage.exists(Attachment.objects.get(filename="kept.png").file.name)
