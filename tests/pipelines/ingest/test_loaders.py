"""Loaders turn real files into a titled document of sections; bad files are one-line errors."""

from __future__ import annotations

import io
import itertools
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from faqbot.settings import Settings
from pipelines.ingest.chunking import chunk_document
from pipelines.ingest.documents import DocumentLimits, ItemError, LoadedDocument, Section
from pipelines.ingest.loaders import (
    PARSERS,
    parse_bytes,
    parse_markdown,
    parse_text,
    title_from_name,
)
from tests.pipelines.ingest.bombs import lying_docx, many_page_pdf, padded_docx

SAMPLE_DOCS = Path(__file__).resolve().parents[3] / "sample_kb" / "docs"


def load(path: Path) -> LoadedDocument:
    """Parses a file the way ingestion does: its bytes, its suffix, a title from its name."""
    return parse_bytes(path.read_bytes(), path.suffix, title_from_name(path.name))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def sections_by_title(document: LoadedDocument) -> dict[str, str]:
    return {section.title: section.text for section in document.sections}


def all_text(document: LoadedDocument) -> str:
    return "\n".join(section.text for section in document.sections)


def load_error(path: Path) -> str:
    with pytest.raises(ItemError) as info:
        load(path)
    message = str(info.value)
    assert message, "an item error must name its reason"
    assert "\n" not in message, f"item error is not one line: {message!r}"
    return message


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A real PDF with one line of text per entry, one list per page."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def limits_from(**settings) -> DocumentLimits:
    """Limits as these settings (and the defaults for the rest) set them."""
    return DocumentLimits.from_settings(Settings(_env_file=None, **settings))


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- Markdown -------------------------------------------------------------------------------

HANDBOOK_MD = """\
# Remote Work Handbook

Read this before you start working from home.

## Equipment

Every remote employee gets a laptop and a monitor.

### Chairs

Chairs are reimbursed up to 300 pounds.

### Desks

Standing desks need a manager's approval.

## Security

Always connect through the VPN.
"""


def test_markdown_first_h1_is_the_document_title(tmp_path):
    document = load(write(tmp_path, "remote-work.md", HANDBOOK_MD))

    assert document.title == "Remote Work Handbook"
    assert all("Remote Work Handbook" not in s.title for s in document.sections)


def test_markdown_subheadings_become_section_paths(tmp_path):
    document = load(write(tmp_path, "remote-work.md", HANDBOOK_MD))

    assert [s.title for s in document.sections] == [
        "",
        "Equipment",
        "Equipment › Chairs",
        "Equipment › Desks",
        "Security",
    ]


def test_markdown_text_lands_in_the_section_of_its_heading(tmp_path):
    sections = sections_by_title(load(write(tmp_path, "remote-work.md", HANDBOOK_MD)))

    assert sections[""] == "Read this before you start working from home."
    assert sections["Equipment"] == "Every remote employee gets a laptop and a monitor."
    assert sections["Equipment › Chairs"] == "Chairs are reimbursed up to 300 pounds."
    assert sections["Equipment › Desks"] == "Standing desks need a manager's approval."
    assert sections["Security"] == "Always connect through the VPN."


def test_markdown_without_h1_uses_the_fallback_title(tmp_path):
    document = load(write(tmp_path, "vpn_setup-guide.md", "## Install\n\nRun the installer.\n"))

    assert document.title == "Vpn setup guide"
    assert sections_by_title(document) == {"Install": "Run the installer."}


def test_markdown_hash_lines_inside_code_fences_are_not_headings(tmp_path):
    text = """\
# Scripts

## Cleanup

Run this script:

```bash
# remove old logs
rm -rf /var/log/old
```

~~~python
## not a heading either
print("done")
~~~

It takes a minute.

## Backups

Nightly at 02:00.
"""
    document = load(write(tmp_path, "scripts.md", text))
    sections = sections_by_title(document)

    assert list(sections) == ["Cleanup", "Backups"]
    assert "# remove old logs" in sections["Cleanup"]
    assert "## not a heading either" in sections["Cleanup"]
    assert "It takes a minute." in sections["Cleanup"]
    assert sections["Backups"] == "Nightly at 02:00."


def test_markdown_heading_ending_in_hash_keeps_it(tmp_path):
    document = load(write(tmp_path, "langs.md", "# Languages\n\n## Learning C#\n\nUse Rider.\n"))

    assert [s.title for s in document.sections] == ["Learning C#"]


def test_markdown_closing_hashes_and_spaces_are_trimmed_from_headings(tmp_path):
    text = "# FAQ ##\n\n##   Travel   #  \n\nBook early.\n\n## ###\n\nThree hashes.\n"
    document = load(write(tmp_path, "faq.md", text))

    assert document.title == "FAQ"
    assert [s.title for s in document.sections] == ["Travel", "###"]


MEGABYTE = 1_000_000


def best_seconds(parse, text: str, repeat: int = 5) -> float:
    """The fastest of a few runs: the least noisy figure on a shared machine."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        parse(text, "Fallback")
        best = min(best, time.perf_counter() - started)
    return best


def line_of(length: int, start: str, filler: str, end: str) -> str:
    middle = length - len(start) - len(end)
    return start + (filler * (middle // len(filler) + 1))[:middle] + end


# Each loader pattern with the line that would make it backtrack, and a normal line as long.
ADVERSARIAL_LINES = {
    "markdown heading": (
        parse_markdown,
        line_of(MEGABYTE, "# x", " ", "y"),
        line_of(MEGABYTE, "# x", "word ", "y"),
    ),
    "markdown fence": (
        parse_markdown,
        line_of(MEGABYTE, "", " ", "x"),
        line_of(MEGABYTE, "", "word ", "x"),
    ),
    "text underline": (
        parse_text,
        line_of(MEGABYTE, "", "=", " x"),
        line_of(MEGABYTE, "", "word ", " x"),
    ),
}


@pytest.mark.timeout(60)  # a quadratic pattern takes hours on these lines: fail, don't hang
@pytest.mark.parametrize("case", sorted(ADVERSARIAL_LINES))
def test_a_megabyte_adversarial_line_parses_about_as_fast_as_a_normal_one(case):
    parse, adversarial, normal = ADVERSARIAL_LINES[case]
    assert len(adversarial) == len(normal) == MEGABYTE
    document = "Title\n=====\n\nFirst line.\n{}\nLast line.\n"
    normal_s = best_seconds(parse, document.format(normal))
    adversarial_s = best_seconds(parse, document.format(adversarial))
    assert adversarial_s < 20 * normal_s, (case, adversarial_s, normal_s)


# --- Plain text -----------------------------------------------------------------------------


def test_text_underlined_headings_become_title_and_sections(tmp_path):
    text = """\
Office Guide
============

Welcome to the office.

Opening Hours
-------------
Open 07:00 to 20:00 on weekdays.

Parking
---
Ten spaces, first come first served.
"""
    document = load(write(tmp_path, "office.txt", text))

    assert document.title == "Office Guide"
    assert sections_by_title(document) == {
        "": "Welcome to the office.",
        "Opening Hours": "Open 07:00 to 20:00 on weekdays.",
        "Parking": "Ten spaces, first come first served.",
    }
    assert "-----" not in all_text(document)
    assert "=====" not in all_text(document)


LICENCE_TEXT = """\
                    ACME SERVICE AGREEMENT
                       Version 2, June 2026

  Everyone may copy this agreement.

                     TERMS AND CONDITIONS

  0. Definitions.

  "Service" means the hosted product.

  1. Conveying Copies.

  You may convey verbatim copies of the
Service's documentation.

  2. Refunds. You may ask for a refund within
  30 days of purchase.

  3. You may also end this agreement. Tell us in writing.

                     NO WARRANTY

  THE SERVICE IS PROVIDED AS IS.
"""


def test_text_numbered_and_capital_headings_and_a_centred_title_make_sections(tmp_path):
    document = load(write(tmp_path, "agreement.txt", LICENCE_TEXT))

    assert document.title == "ACME SERVICE AGREEMENT Version 2, June 2026"
    assert sections_by_title(document) == {
        "": "Everyone may copy this agreement.",
        "TERMS AND CONDITIONS › 0. Definitions.": '"Service" means the hosted product.',
        "TERMS AND CONDITIONS › 1. Conveying Copies.": "You may convey verbatim copies of the\nService's documentation.",
        "TERMS AND CONDITIONS › 2. Refunds": "You may ask for a refund within\n  30 days of purchase.\n\n"
        "  3. You may also end this agreement. Tell us in writing.",
        "NO WARRANTY": "THE SERVICE IS PROVIDED AS IS.",
    }


def test_text_without_headings_is_one_untitled_section_with_the_fallback_title(tmp_path):
    text = "The wifi network is NWH-Staff.\nAsk reception for the password.\n"
    document = load(write(tmp_path, "wifi_notes.txt", text))

    assert document.title == "Wifi notes"
    assert len(document.sections) == 1
    assert document.sections[0].title == ""
    assert document.sections[0].text == text.strip()


# --- HTML -----------------------------------------------------------------------------------

BENEFITS_HTML = """\
<!DOCTYPE html>
<html>
<head>
  <title>Benefits – Intranet</title>
  <style>.menu { color: SECRET_STYLE; }</style>
  <script>var tracking = "SECRET_SCRIPT";</script>
</head>
<body>
  <nav><a href="/">SECRET_NAV home</a></nav>
  <h1>Benefits</h1>
  <p>Everything you get on top of your salary.</p>
  <h2>Pension</h2>
  <p>The company matches up to 6%.</p>
  <h3>Opting out</h3>
  <p>Tell payroll within a month.</p>
  <h2>Health</h2>
  <ul>
    <li>Private medical insurance</li>
    <li><p>Dental cover from day one</p></li>
  </ul>
  <script>console.log("SECRET_BODY_SCRIPT")</script>
  <footer>SECRET_FOOTER copyright</footer>
</body>
</html>
"""


def test_html_title_tag_is_the_document_title(tmp_path):
    document = load(write(tmp_path, "benefits.html", BENEFITS_HTML))

    assert document.title == "Benefits – Intranet"


def test_html_h2_and_h3_become_sections(tmp_path):
    sections = sections_by_title(load(write(tmp_path, "benefits.html", BENEFITS_HTML)))

    assert list(sections) == ["", "Pension", "Pension › Opting out", "Health"]
    assert sections[""] == "Everything you get on top of your salary."
    assert sections["Pension"] == "The company matches up to 6%."
    assert sections["Pension › Opting out"] == "Tell payroll within a month."


def test_html_script_style_nav_and_footer_text_is_dropped(tmp_path):
    document = load(write(tmp_path, "benefits.html", BENEFITS_HTML))
    everything = (
        document.title + "\n" + "\n".join(s.title + "\n" + s.text for s in document.sections)
    )

    assert "SECRET" not in everything


def test_html_list_items_are_kept_and_nested_paragraphs_appear_once(tmp_path):
    document = load(write(tmp_path, "benefits.html", BENEFITS_HTML))
    health = sections_by_title(document)["Health"]

    assert "Private medical insurance" in health
    assert "Dental cover from day one" in health
    assert all_text(document).count("Dental cover from day one") == 1


def test_html_without_title_tag_uses_h1_or_fallback(tmp_path):
    with_h1 = load(write(tmp_path, "a.html", "<h1>Parking</h1><p>Ten spaces.</p>"))
    without = load(write(tmp_path, "car_park.htm", "<h2>Spaces</h2><p>Ten spaces.</p>"))

    assert with_h1.title == "Parking"
    assert without.title == "Car park"


def test_html_text_directly_inside_a_div_is_kept(tmp_path):
    html = """\
<html><head><title>Parking</title></head><body>
<h2>Spaces</h2><p>There are ten spaces.</p>
<h2>Charging</h2><div>Electric cars charge free in bays 1 to 4.</div>
</body></html>
"""
    document = load(write(tmp_path, "parking.html", html))

    assert "Electric cars charge free in bays 1 to 4." in all_text(document)


# --- PDF ------------------------------------------------------------------------------------

TRAVEL_PAGES = [
    [
        "Booking Trains",
        "Book all train travel through the portal at least a week ahead.",
        "Standard class is the default for every journey.",
    ],
    [
        "Hotel Stays",
        "Hotels are capped at one hundred and forty pounds a night in London.",
    ],
]


def test_pdf_text_from_every_page_is_extracted(tmp_path):
    document = load(write(tmp_path, "travel.pdf", make_pdf(TRAVEL_PAGES, title="Travel Policy")))
    text = all_text(document)

    assert document.title == "Travel Policy"
    assert "Book all train travel through the portal at least a week ahead." in text
    assert "Hotels are capped at one hundred and forty pounds a night in London." in text


def test_pdf_short_title_case_lines_become_section_titles(tmp_path):
    document = load(write(tmp_path, "travel.pdf", make_pdf(TRAVEL_PAGES, title="Travel Policy")))

    assert sections_by_title(document) == {
        "Booking Trains": "Book all train travel through the portal at least a week ahead.\n"
        "Standard class is the default for every journey.",
        "Hotel Stays": "Hotels are capped at one hundred and forty pounds a night in London.",
    }


def test_pdf_first_heading_is_the_title_when_metadata_has_none(tmp_path):
    pages = [["Expenses Guide", *TRAVEL_PAGES[0]], TRAVEL_PAGES[1]]
    document = load(write(tmp_path, "expenses.pdf", make_pdf(pages, title="")))

    assert document.title == "Expenses Guide"
    assert [s.title for s in document.sections] == ["Booking Trains", "Hotel Stays"]


REAL_PDF = make_pdf(TRAVEL_PAGES, title="Travel Policy")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4 garbage", id="header-then-garbage"),
        pytest.param(REAL_PDF[: len(REAL_PDF) // 2], id="truncated-half"),
        pytest.param(REAL_PDF[:200], id="truncated-200-bytes"),
        pytest.param(b"this is a text file renamed to pdf", id="not-a-pdf"),
    ],
)
def test_corrupt_pdf_is_a_one_line_item_error(tmp_path, data):
    message = load_error(write(tmp_path, "broken.pdf", data))

    assert message.startswith("not a readable PDF")


def test_pdf_with_a_broken_trailer_is_a_one_line_item_error(tmp_path):
    broken = REAL_PDF.replace(b"trailer\n<<", b"trailer\n%<", 1)
    assert broken != REAL_PDF

    message = load_error(write(tmp_path, "broken.pdf", broken))

    assert message.startswith("not a readable PDF")


def test_a_pdf_with_more_pages_than_the_limit_is_refused_before_its_text_is_read(tmp_path):
    message = load_error(write(tmp_path, "manual.pdf", many_page_pdf(1001)))

    assert message == "1,001 pages, more than 1,000 (FAQBOT_MAX_PDF_PAGES)"


def test_a_pdf_is_refused_once_its_pages_pass_the_character_limit():
    line = "Line {} of page {} says nothing of note at all."
    pages = [[line.format(n, page) for n in range(20)] for page in range(5)]
    limits = limits_from(max_document_chars=2000)

    with pytest.raises(ItemError) as info:
        parse_bytes(make_pdf(pages), ".pdf", "Manual", limits)

    assert str(info.value) == "more than 2,000 characters of text (FAQBOT_MAX_DOCUMENT_CHARS)"


# --- DOCX -----------------------------------------------------------------------------------


def make_handbook_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Hardware Guide", level=1)
    document.add_paragraph("How to get equipment.")
    document.add_heading("Laptops", level=2)
    document.add_paragraph("Everyone gets a laptop on day one.")
    table = document.add_table(rows=2, cols=2)
    for row, (left, right) in zip(table.rows, [("Role", "Model"), ("Engineer", "X1 Carbon")]):
        row.cells[0].text = left
        row.cells[1].text = right
    document.add_heading("Monitors", level=2)
    document.add_paragraph("Ask for a second monitor in the portal.")
    return docx_bytes(document)


def test_docx_headings_become_title_and_sections(tmp_path):
    document = load(write(tmp_path, "hardware.docx", make_handbook_docx()))

    assert document.title == "Hardware Guide"
    assert [s.title for s in document.sections] == ["", "Laptops", "Monitors"]
    assert sections_by_title(document)["Monitors"] == "Ask for a second monitor in the portal."


def test_docx_table_rows_come_through_as_cells_joined_by_bars(tmp_path):
    laptops = sections_by_title(load(write(tmp_path, "hardware.docx", make_handbook_docx())))[
        "Laptops"
    ]

    assert laptops.splitlines() == [
        "Everyone gets a laptop on day one.",
        "Role | Model",
        "Engineer | X1 Carbon",
    ]


def test_docx_zip_without_word_parts_is_a_one_line_item_error(tmp_path):
    data = zip_bytes({"notes.txt": "just some junk"})

    message = load_error(write(tmp_path, "junk.docx", data))

    assert message.startswith("not a readable Word document")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Meeting notes typed in a plain text editor.\n", id="plain-text"),
        pytest.param(make_handbook_docx()[:2000], id="truncated"),
    ],
)
def test_docx_that_is_not_a_zip_is_a_one_line_item_error(tmp_path, data):
    message = load_error(write(tmp_path, "notes.docx", data))

    assert message.startswith("not a readable Word document")


def test_docx_zip_with_junk_xml_is_a_one_line_item_error(tmp_path):
    data = zip_bytes({"[Content_Types].xml": "junk, not xml", "word/document.xml": "junk"})

    message = load_error(write(tmp_path, "junk.docx", data))

    assert message.startswith("not a readable Word document")


def peak_memory_of(read) -> tuple[str, int]:
    """The item error `read()` raises, and the most memory it held at once."""
    tracemalloc.start()
    try:
        with pytest.raises(ItemError) as info:
            read()
        return str(info.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_docx_part_that_inflates_to_hundreds_of_mb_is_refused_unread(tmp_path):
    path = write(tmp_path, "hardware.docx", padded_docx(make_handbook_docx(), 200))
    assert path.stat().st_size < 1_000_000

    message, peak = peak_memory_of(lambda: load(path))

    assert message == (
        "word/document.xml unpacks to more than 100 times its compressed size "
        "(FAQBOT_MAX_ZIP_RATIO)"
    )
    assert peak < 20_000_000


def test_a_docx_part_whose_header_understates_its_size_is_refused(tmp_path):
    """The headers say 3 KB and a valid checksum; the data inflates to 200 MB."""
    path = write(tmp_path, "hardware.docx", lying_docx(make_handbook_docx(), 200))

    message, peak = peak_memory_of(lambda: load(path))

    assert message.startswith("word/document.xml unpacks to more than the ")
    assert message.endswith(" bytes its zip header declares")
    assert peak < 20_000_000


def long_docx() -> bytes:
    """A real 4 MB document.xml that compresses like text does (about 5 times)."""
    document = docx.Document()
    document.add_heading("Printer Manual", level=1)
    for start in range(0, 400_000, 10_000):
        document.add_paragraph(" ".join(f"word{n}" for n in range(start, start + 10_000)))
    return docx_bytes(document)


def test_a_docx_whose_parts_unpack_past_the_archive_limit_is_refused():
    with pytest.raises(ItemError) as info:
        parse_bytes(long_docx(), ".docx", "Manual", limits_from(max_archive_mb=2))

    assert str(info.value) == "word/document.xml unpacks the file past 2 MB (FAQBOT_MAX_ARCHIVE_MB)"


def test_a_long_docx_within_the_limits_still_parses():
    document = parse_bytes(long_docx(), ".docx", "Fallback")

    assert document.title == "Printer Manual"
    assert "word399999" in all_text(document)


# --- parse_bytes ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", sorted(PARSERS))
@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n  "], ids=["empty", "whitespace"])
def test_empty_file_is_an_item_error(tmp_path, suffix, data):
    message = load_error(write(tmp_path, f"empty{suffix}", data))

    assert message == "the file is empty"


@pytest.mark.parametrize("name", ["photo.png", "setup.exe", "README"])
def test_unsupported_file_type_names_the_supported_types(tmp_path, name):
    message = load_error(write(tmp_path, name, b"some content"))

    assert message.startswith("unsupported file type")
    for suffix in (".md", ".txt", ".html", ".pdf", ".docx"):
        assert suffix in message
    if name == "README":
        assert "(none)" in message
    else:
        assert Path(name).suffix in message


def test_suffix_is_case_insensitive(tmp_path):
    document = load(write(tmp_path, "NOTES.MD", "# Notes\n\nSome text.\n"))

    assert document.title == "Notes"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("headings.md", "# Title\n\n## First\n\n### Second\n"),
        ("headings.txt", "Title\n=====\n\nPart\n----\n"),
    ],
)
def test_document_with_only_headings_has_no_text(tmp_path, name, content):
    message = load_error(write(tmp_path, name, content))

    assert message == "no text could be extracted"


def test_docx_with_only_headings_has_no_text(tmp_path):
    document = docx.Document()
    document.add_heading("Title", level=1)
    document.add_heading("Part", level=2)

    message = load_error(write(tmp_path, "headings.docx", docx_bytes(document)))

    assert message == "no text could be extracted"


# --- The sample knowledge base --------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SAMPLE_DOCS.iterdir()), ids=lambda p: p.name)
def test_sample_document_parses_into_titled_sections(path):
    document = load(path)

    assert document.title.strip()
    assert len([s for s in document.sections if s.text.strip()]) >= 3


def test_sample_knowledge_base_covers_every_format():
    suffixes = {path.suffix for path in SAMPLE_DOCS.iterdir()}

    assert {".md", ".txt", ".html", ".pdf", ".docx"} <= suffixes


# --- Chunking -------------------------------------------------------------------------------


def count_words(text: str) -> int:
    return len(text.split())


def long_section_text(topic: str, sentences: int) -> str:
    return " ".join(
        f"{topic} rule {i} says claims must be filed within {i} days." for i in range(sentences)
    )


CHUNK_DOC = LoadedDocument(
    "Expenses and Business Travel Policy",
    [
        Section("", "This policy covers every claim for money spent on company business."),
        Section("Travel › Trains and flights", long_section_text("Travel", 30)),
        Section("Meals", long_section_text("Meal", 20)),
    ],
)
MAX_TOKENS = 60
OVERLAP_TOKENS = 12


@pytest.fixture(scope="module")
def chunks():
    return chunk_document(
        CHUNK_DOC, max_tokens=MAX_TOKENS, overlap_tokens=OVERLAP_TOKENS, count_tokens=count_words
    )


def header(section_title: str) -> str:
    return " › ".join(part for part in (CHUNK_DOC.title, section_title) if part)


def test_chunks_with_their_header_fit_in_max_tokens(chunks):
    assert len(chunks) > 3
    for chunk in chunks:
        assert count_words(header(chunk.section)) + count_words(chunk.text) <= MAX_TOKENS


def test_each_chunk_comes_from_one_section(chunks):
    texts = {section.title: section.text for section in CHUNK_DOC.sections}
    for chunk in chunks:
        assert chunk.text
        assert chunk.text in texts[chunk.section]


def test_every_section_is_chunked_in_order(chunks):
    sections = [chunk.section for chunk in chunks]

    assert list(dict.fromkeys(sections)) == [s.title for s in CHUNK_DOC.sections]
    assert sections == sorted(sections, key=[s.title for s in CHUNK_DOC.sections].index)


def test_chunks_cover_the_whole_long_section(chunks):
    section = CHUNK_DOC.sections[1]
    pieces = [c.text for c in chunks if c.section == section.title]

    assert len(pieces) >= 3
    assert section.text.startswith(pieces[0])
    assert section.text.endswith(pieces[-1])
    for i in range(30):
        assert any(f"Travel rule {i} says" in piece for piece in pieces)


def test_consecutive_chunks_of_a_long_section_overlap(chunks):
    for before, after in itertools.pairwise(chunks):
        if before.section != after.section:
            continue
        first_words, last_words = after.text.split(), before.text.split()
        shared = max(
            (k for k in range(1, len(first_words)) if last_words[-k:] == first_words[:k]),
            default=0,
        )
        assert 0 < shared <= OVERLAP_TOKENS, (before.text, after.text)


def test_chunk_positions_count_from_zero_in_order(chunks):
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))


def test_single_short_section_document_still_gives_one_chunk():
    document = LoadedDocument("Wifi", [Section("", "Ask reception.")])

    chunks = chunk_document(document, max_tokens=60, overlap_tokens=12, count_tokens=count_words)

    assert [(c.section, c.text, c.position) for c in chunks] == [("", "Ask reception.", 0)]


def test_short_section_in_a_longer_document_is_not_lost():
    document = LoadedDocument(
        "IT Helpdesk",
        [
            Section("Opening hours", "The helpdesk is staffed from 08:00 to 18:00 on weekdays."),
            Section("Phone", "Call extension 4000."),
        ],
    )

    chunks = chunk_document(document, max_tokens=60, overlap_tokens=12, count_tokens=count_words)

    assert "Phone" in [chunk.section for chunk in chunks]


# --- Invisible characters and chunks that do not fit -----------------------------------------


def test_invisible_characters_are_removed_at_load(tmp_path):
    text = (
        "\ufeff# VPN\u200b Guide\n\n"
        "Reset\u00ad the to\u200bken\u202e in the \u2066portal\u2069.\r\n"
        f"Then{' ' * 100}log\x00 in\U000e0041.\n\n\n\n\nDone.\r"
    )
    document = load(write(tmp_path, "vpn.md", text))

    assert document.title == "VPN Guide"
    assert all_text(document) == "Reset the token in the portal.\nThen log in.\n\nDone."


def test_a_long_title_is_one_short_line(tmp_path):
    document = load(write(tmp_path, "vpn.md", "# " + "Very long title " * 100 + "\n\nText.\n"))

    assert len(document.title) <= 200 and document.title.endswith("…")


def test_a_document_of_only_invisible_characters_has_no_text(tmp_path):
    assert load_error(write(tmp_path, "blank.md", "\u200b\u200c\ufeff" * 1000)) == (
        "no text could be extracted"
    )


def chunks_of(text: str, embedder, **options) -> list:
    """The document's chunks as ingestion makes them, with the real embedder's tokens."""
    document = parse_bytes(text.encode(), ".md", "VPN")
    return chunk_document(
        document, max_tokens=200, overlap_tokens=32, count_tokens=embedder.count_tokens, **options
    )


def test_a_zero_width_flood_gives_no_chunk_over_the_character_cap(embedder):
    """MiniLM counts U+200B as nothing: two million of them fit 200 tokens."""
    chunks = chunks_of("# VPN\n\nVPN reset" + "\u200b" * 2_000_000, embedder)

    assert [chunk.text for chunk in chunks] == ["VPN reset"]


def test_a_word_the_tokenizer_counts_as_one_token_is_cut_at_the_character_cap(embedder):
    """MiniLM reads any word over 100 characters as one [UNK] token."""
    word = "x" * 200_000
    assert embedder.count_tokens(f"VPN reset {word}") == embedder.count_tokens("VPN reset") + 1

    chunks = chunks_of(f"# VPN\n\nVPN reset {word}", embedder)

    assert max(len(chunk.text) for chunk in chunks) == 2000  # 10 characters a token of 200
    assert chunks[0].text == "VPN reset"
    assert sum(chunk.text.count("x") for chunk in chunks) >= len(word)


def test_the_character_cap_can_be_set_and_leaves_normal_text_to_the_token_budget(embedder):
    normal = long_section_text("Travel", 60)
    by_tokens = chunks_of(normal, embedder)
    assert chunks_of(normal, embedder, max_chars=5000) == by_tokens
    assert all(len(chunk.text) <= 300 for chunk in chunks_of(normal, embedder, max_chars=300))
