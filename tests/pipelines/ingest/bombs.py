"""Crafted files that are small on disk and huge once read: zip bombs in DOCX form (one honest
about its size, one whose headers lie) and PDFs with many pages."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

MAIN_PART = "word/document.xml"
# Where a part's CRC-32 and uncompressed size sit in its central directory and local headers,
# and where its name starts.
_HEADERS = {b"PK\x01\x02": (16, 24, 46), b"PK\x03\x04": (14, 22, 30)}


@functools.cache
def padded_docx(docx: bytes, padding_mb: int) -> bytes:
    """`docx` with its main part followed by `padding_mb` MB of spaces (still valid XML: they
    come after the root element). Deflated, 200 MB of spaces take about 200 KB."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    original = source.read(MAIN_PART)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.infolist():
            if part.filename != MAIN_PART:
                archive.writestr(part, source.read(part))
        with archive.open(MAIN_PART, "w") as main:
            main.write(original)
            spaces = b" " * 1_000_000
            for _ in range(padding_mb):
                main.write(spaces)
    return buffer.getvalue()


def lying_docx(docx: bytes, padding_mb: int) -> bytes:
    """The padded DOCX with its main part's headers claiming the unpadded size and checksum:
    a zip reader that trusts them reads a valid document and never sees the padding."""
    original = zipfile.ZipFile(io.BytesIO(docx)).read(MAIN_PART)
    return _claim(padded_docx(docx, padding_mb), MAIN_PART, original)


def _claim(data: bytes, name: str, content: bytes) -> bytes:
    """The zip with `name`'s headers rewritten to describe `content` instead of its data."""
    patched = bytearray(data)
    fields = struct.pack("<I", zlib.crc32(content)), struct.pack("<I", len(content))
    for signature, (crc_at, size_at, name_at) in _HEADERS.items():
        at = patched.find(signature)
        while patched[at + name_at : at + name_at + len(name)] != name.encode():
            at = patched.find(signature, at + 1)
            assert at >= 0, f"no {signature!r} header for {name}"
        patched[at + crc_at : at + crc_at + 4] = fields[0]
        patched[at + size_at : at + size_at + 4] = fields[1]
    return bytes(patched)


@functools.cache
def many_page_pdf(pages: int) -> bytes:
    """A real PDF of `pages` pages, one short line of text on each."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.drawString(72, 780, f"Page {number} of the printer manual.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
