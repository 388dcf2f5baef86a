"""Media files are whole or not there (shelfmark/storage.py): a write that fails part way, or a
service that fails after storing its file, leaves nothing under MEDIA_ROOT."""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import OperationalError
from PIL import Image

from catalog.services import book_cover_set
from catalog.tests.factories import BookFactory
from interchange.models import ImportRun
from interchange.services import uploads
from shelfmark.storage import MediaStorage


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


def files_under(folder: Path) -> list[str]:
    """Every file, hidden ones too, relative to ``folder``."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


class FullPartWay(File):
    """Content whose second chunk cannot be written: the volume filled up meanwhile."""

    def __init__(self) -> None:
        super().__init__(None, name="upload.csv")

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield b"title,authors\n" * 1000
        raise OSError(errno.ENOSPC, "No space left on device")


def test_the_default_storage_is_the_media_storage():
    assert isinstance(storages["default"], MediaStorage)


def test_a_write_that_fails_part_way_leaves_no_file(media):
    with pytest.raises(OSError, match="No space left"):
        default_storage.save("imports/2026/12/upload.csv", FullPartWay())

    assert files_under(media) == []


def test_a_whole_file_is_at_its_name_with_djangos_mode_and_nothing_beside_it(media):
    umask = os.umask(0)
    os.umask(umask)

    name = default_storage.save("covers/1-abc.jpg", ContentFile(b"\xff\xd8\xff a cover"))

    assert name == "covers/1-abc.jpg"
    assert files_under(media) == ["covers/1-abc.jpg"]
    assert (media / name).read_bytes() == b"\xff\xd8\xff a cover"
    assert (media / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_name_taken_gets_another_and_both_files_stay(media):
    first = default_storage.save("imports/list.csv", ContentFile(b"first"))
    second = default_storage.save("imports/list.csv", ContentFile(b"second"))

    assert first != second
    assert (media / first).read_bytes() == b"first"
    assert (media / second).read_bytes() == b"second"
    assert len(files_under(media)) == 2


def test_an_upload_spooled_to_a_temporary_file_is_stored_whole(media, tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    upload = TemporaryUploadedFile("big.csv", "text/csv", 0, "utf-8")
    upload.write(b"title\n" + b"A book\n" * 10_000)
    upload.seek(0)

    name = default_storage.save("imports/big.csv", upload)

    assert (media / name).read_bytes() == b"title\n" + b"A book\n" * 10_000
    assert files_under(media) == [name]


@pytest.mark.django_db
def test_an_upload_whose_run_cannot_be_queued_leaves_no_file(media):
    upload = SimpleUploadedFile("list.csv", b"title\nEmma\n", content_type="text/csv")
    with (
        mock.patch.object(uploads, "_enqueue", side_effect=OperationalError("connection lost")),
        pytest.raises(OperationalError),
    ):
        uploads.import_preview_create(
            upload=upload,
            kind="catalog",
            format="auto",
            encoding="",
            on_duplicate="skip",
            user=None,
        )

    assert ImportRun.objects.count() == 0
    assert files_under(media) == []


@pytest.mark.django_db
def test_a_cover_whose_book_cannot_be_saved_leaves_no_file_and_the_old_cover(media):
    book = book_cover_set(book=BookFactory(), content=image((10, 120, 200)))
    old = book.cover.name

    with (
        mock.patch("catalog.models.Book.save", side_effect=OperationalError("connection lost")),
        pytest.raises(OperationalError),
    ):
        book_cover_set(book=book, content=image((200, 10, 10)))  # another image, another name

    assert files_under(media) == [old]
