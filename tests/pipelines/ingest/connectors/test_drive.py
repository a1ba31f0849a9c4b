"""Google Drive as a source, against a stand-in of Google's token endpoint and the Drive API v3
(Google cannot be reached from here): a service account's signed token request, a folder with
a subfolder over several pages of results, Docs exported as HTML, DOCX and PDF read by the
usual loaders, folder sharing mapped to channels, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from faqbot.contracts import SourceSpec
from tests.pipelines.ingest.connectors.standins import DriveFile, DriveStandIn, serving_standin

SAMPLE = Path(__file__).resolve().parents[4] / "sample_kb" / "docs"
SPEC = SourceSpec(kind="drive", credential="drive-sa")
FOLDER = "1FoLdEr_handbook_0001"
DOC = "application/vnd.google-apps.document"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCOUNT = "faqbot@acme-faq.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def drive(settings, key):
    settings.fetch_allowed_hosts = ["127.0.0.1"]
    standin = DriveStandIn(authorization="Bearer ya29.standin", public_key=key.public_key())
    standin.shared_with = [{"type": "domain", "role": "reader", "domain": "acme.example"}]
    vpn = "<html><head><title>VPN</title></head><body><h2>Error 809</h2><p>Switch to the " \
          "NWH-Corporate-TLS profile when a hotel blocks IPsec.</p></body></html>"  # fmt: skip
    for item in (
        DriveFile(FOLDER, "Handbook", "application/vnd.google-apps.folder", parent="root"),
        DriveFile("1doc_vpn_0000001", "VPN", DOC, vpn.encode(), FOLDER),
        DriveFile(
            "1docx_hardware01",
            "Hardware requests",
            DOCX,
            (SAMPLE / "hardware-requests.docx").read_bytes(),
            FOLDER,
        ),
        DriveFile(
            "1pdf_payroll_001",
            "Payroll FAQ",
            "application/pdf",
            (SAMPLE / "payroll-faq.pdf").read_bytes(),
            FOLDER,
        ),
        DriveFile(
            "1sub_folder_0001", "Facilities", "application/vnd.google-apps.folder", parent=FOLDER
        ),
        DriveFile(
            "1md_parking_0001",
            "parking.md",
            "text/markdown",
            b"# Parking\n\nPermits cost 30 pounds a month.\n",
            "1sub_folder_0001",
        ),
        DriveFile("1png_logo_000001", "logo.png", "image/png", b"\x89PNG", FOLDER),
    ):
        standin.files[item.id] = item
    with serving_standin(standin):
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
        account = {"type": "service_account", "client_email": ACCOUNT, "private_key": pem,
                   "private_key_id": "k1", "token_uri": f"{standin.base}/token"}  # fmt: skip
        settings.secrets_path.mkdir(parents=True, exist_ok=True)
        (settings.secrets_path / "drive-sa").write_text(json.dumps(account))
        settings.google_api_url = standin.base
        yield standin


URL = f"https://drive.google.com/drive/folders/{FOLDER}"


def test_a_folder_and_its_subfolder_are_indexed_through_a_service_account(kb, drive):
    report = kb(URL, spec=SPEC)
    assert report.report().errors == [] and report.changed == 4  # the PNG is not a document
    assert [r.path for r in drive.requests].count("/token") == 1  # its signature checked out
    top = kb.ask("VPN error 809 at a hotel")[0].chunk
    assert (top.title, top.section) == ("VPN", "Error 809")  # the Doc, exported as HTML
    assert top.url == "https://docs.google.com/d/1doc_vpn_0000001"
    assert kb.ask("parking permit price")[0].chunk.doc_key == "1md_parking_0001"


def test_a_sync_downloads_only_files_that_changed(kb, drive):
    kb(URL, spec=SPEC)
    drive.files["1md_parking_0001"].data = b"# Parking\n\nPermits are free for cyclists.\n"
    del drive.files["1pdf_payroll_001"]
    drive.requests.clear()
    report = kb(URL, spec=SPEC)
    assert (report.changed, report.removed, report.unchanged) == (1, 1, 2)
    downloads = [
        r.path for r in drive.requests if r.query.get("alt") == "media" or "export" in r.path
    ]
    assert downloads == ["/drive/v3/files/1md_parking_0001"]


def test_a_folder_shared_only_with_a_group_is_shown_where_that_group_is_mapped(kb, drive):
    drive.shared_with = [{"type": "group", "role": "reader", "emailAddress": "hr@acme.example"},
                         {"type": "user", "role": "reader", "emailAddress": ACCOUNT}]  # fmt: skip
    spec = SPEC.model_copy(update={"groups": {"hr@acme.example": ["C0HR00001"]}})
    assert kb(URL, spec=spec).report().errors == []
    assert kb.ask("parking permit price", channel="C0HR00001")
    assert kb.ask("parking permit price", channel="C0IT00001") == []
    errors = kb(URL, spec=SPEC, source_id="unmapped").report().errors
    reason = "readable only by hr@acme.example; map a group to channels (group=#channel)"
    assert errors == [f"{URL}: {reason}"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("key", "Google Drive answered (HTTP 400: invalid_grant)"),
        ("folder", "Google Drive has no such item (HTTP 404: File not found: 1NoSuchFolder0001.)"),
        ("not-json", "the Google Drive credential is not a service-account JSON key"),
        ("too-large", "1pdf_payroll_001"),
    ],
)
def test_bad_input_is_one_line_naming_the_source_and_keeps_the_index(
    kb, drive, settings, change, reason
):
    kb(URL, spec=SPEC)
    before = kb.store.document_hashes("kb")
    url = URL
    if change == "key":
        drive.public_key = rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        ).public_key()
    elif change == "folder":
        url = "https://drive.google.com/drive/folders/1NoSuchFolder0001"
    elif change == "not-json":
        (settings.secrets_path / "drive-sa").write_text("not json")
    else:
        drive.files["1pdf_payroll_001"].data += b" " * 200_000
        settings.max_file_mb = 0.1
    errors = kb(url, spec=SPEC, source_id="kb" if url == URL else "other").report().errors
    assert len(errors) == 1 and "\n" not in errors[0] and reason in errors[0]
    assert errors[0].startswith(url if change != "too-large" else "https://docs.google.com/d/")
    assert kb.store.document_hashes("kb") == before or change == "too-large"
