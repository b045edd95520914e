"""A render that breaks its time or memory limit is stopped and leaves no file."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from channels.pdf import PdfChannel, PdfRenderError
from channels.pdf.runner import Limits, run_limited
from publisher.content import Image, IssueSection
from publisher.fetch import FetchOptions
from tests.channels.pdf.conftest import article, settings_for, small_issue


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".png"]


def bomb_png(width: int, height: int) -> bytes:
    """A black PNG: about a megabyte on disk, width x height x 3 bytes once decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(1)
    row = bytes(1 + width * 3)  # filter byte, then the pixels
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))


def test_a_render_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    channel = PdfChannel(settings_for(tmp_path / "data", timeout=0.01))
    with pytest.raises(PdfRenderError, match=r"time limit of 0\.01 s \(pdf\.timeout\)"):
        channel.write_pdf(small_issue(), "screen", tmp_path / "out" / "late.pdf")
    assert leftovers(tmp_path) == []


def test_a_render_past_its_memory_limit_is_stopped(tmp_path: Path) -> None:
    """An image that decodes to 432 MB against a 560 MiB address space."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "bomb.png").write_bytes(bomb_png(12000, 12000))
    story = article("bomb", "A very large image", "News", Image(src="bomb.png", alt="Big"))
    settings = replace(settings_for(tmp_path / "data", memory_mb=560),
                       fetch=FetchOptions(media_dirs=(media,)))
    with pytest.raises(PdfRenderError, match=r"passed the memory limit of 560 MiB"):
        PdfChannel(settings).write_pdf(small_issue(IssueSection(name="News", articles=(story,))),
                                       "screen", tmp_path / "out" / "big.pdf")
    assert leftovers(tmp_path) == []


def test_a_memory_limit_too_small_to_start_says_so(tmp_path: Path) -> None:
    channel = PdfChannel(settings_for(tmp_path / "data", memory_mb=60))
    with pytest.raises(PdfRenderError, match=r"cannot start: the memory limit of 60 MiB "
                                             r"\(pdf\.memory_mb\) is below the \d+ MiB"):
        channel.write_pdf(small_issue(), "screen", tmp_path / "out" / "small.pdf")
    assert leftovers(tmp_path) == []


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def test_memory_error_in_the_child_names_the_limit() -> None:
    with pytest.raises(PdfRenderError, match=r"stopped: it passed the memory limit of 1000 MiB"):
        run_limited(allocate, 3000, Limits(30, 1000), what="allocation")


def test_a_failure_in_the_child_comes_back_as_a_message() -> None:
    with pytest.raises(PdfRenderError, match=r"allocation failed: ValueError: negative count"):
        run_limited(allocate, -1, Limits(30, 1000), what="allocation")
