"""Zip bombs: DOCX (and any zip-based format) is checked before python-docx, which inflates each
part whole. Limits come from DocumentLimits (FAQBOT_MAX_ARCHIVE_MB, FAQBOT_MAX_ZIP_RATIO)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from pipelines.ingest.documents import DocumentLimits, ItemError

_ZIP_MAX_PARTS = 10_000
_ZIP_RATIO_FROM = 1_000_000  # parts smaller than this may compress as well as they like
_ZIP_STEP = 64 * 1024
_ZIP_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra field lengths


def check_archive(data: bytes, limits: DocumentLimits) -> None:
    """Refuses a zip whose parts would unpack past the limits: by the sizes its headers
    declare, then by inflating each part's data in 64 KB steps, since headers can lie.
    Raises zipfile.BadZipFile for what is not a zip at all."""
    parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    if len(parts) > _ZIP_MAX_PARTS:
        raise ItemError(f"{len(parts):,} parts in the archive, more than {_ZIP_MAX_PARTS:,}")
    total = 0
    for part in parts:
        _check_ratio(part, limits.max_zip_ratio)
        total += part.file_size
        if total > limits.max_archive_bytes:
            limit_mb = limits.max_archive_bytes / 1e6
            raise ItemError(
                f"{part.filename} unpacks the file past {limit_mb:g} MB (FAQBOT_MAX_ARCHIVE_MB)"
            )
    for part in parts:
        inflated = _inflated_size(data, part)
        if inflated > part.file_size:
            raise ItemError(
                f"{part.filename} unpacks to more than the {part.file_size:,} bytes "
                "its zip header declares"
            )


def _check_ratio(part: zipfile.ZipInfo, max_ratio: float) -> None:
    size = part.file_size
    if size > _ZIP_RATIO_FROM and size > max_ratio * max(part.compress_size, 1):
        raise ItemError(
            f"{part.filename} unpacks to more than {max_ratio:g} times its compressed size "
            "(FAQBOT_MAX_ZIP_RATIO)"
        )


def _inflated_size(data: bytes, part: zipfile.ZipInfo) -> int:
    """What the part's data really inflates to, counted up to one step past its declared
    size: memory stays at one step whatever the data holds."""
    compressed = _part_data(data, part)
    if part.flag_bits & 0x1:
        raise ItemError(f"{part.filename} is encrypted")
    if part.compress_type == zipfile.ZIP_STORED:
        return len(compressed)
    if part.compress_type != zipfile.ZIP_DEFLATED:
        raise ItemError(
            f"{part.filename} uses zip compression method {part.compress_type}; "
            "only stored and deflated parts are read"
        )
    inflater, size = zlib.decompressobj(-zlib.MAX_WBITS), 0
    try:
        for start in range(0, len(compressed), _ZIP_STEP):
            pending = compressed[start : start + _ZIP_STEP]
            while pending and size <= part.file_size:
                size += len(inflater.decompress(pending, _ZIP_STEP))
                pending = inflater.unconsumed_tail
        while size <= part.file_size and (rest := inflater.decompress(b"", _ZIP_STEP)):
            size += len(rest)
    except zlib.error as exc:
        raise ItemError(f"{part.filename} is not valid deflate data ({exc})") from exc
    return size


def _part_data(data: bytes, part: zipfile.ZipInfo) -> memoryview:
    offset = part.header_offset
    header = data[offset : offset + _ZIP_LOCAL_HEADER.size]
    if len(header) < _ZIP_LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise ItemError(f"{part.filename} has no local zip header")
    _, name_length, extra_length = _ZIP_LOCAL_HEADER.unpack(header)
    start = offset + _ZIP_LOCAL_HEADER.size + name_length + extra_length
    if start + part.compress_size > len(data):
        raise ItemError(f"{part.filename} is cut short")
    return memoryview(data)[start : start + part.compress_size]
