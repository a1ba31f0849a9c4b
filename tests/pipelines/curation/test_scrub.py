"""What the dataset scrubber replaces, what it counts for the manifest, and the look-alikes that
training text keeps: order and ticket numbers, versions, dates in policies, commit hashes."""

from __future__ import annotations

from collections import Counter

import pytest

from pipelines.curation.scrub import scrub

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMIIEowIBAAKCAQEA\n"
    "-----END RSA PRIVATE KEY-----"
)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# (text, what is written instead, the kind the manifest counts once)
POSITIVES = [
    (
        "Pay the deposit to IBAN GB82 WEST 1234 5698 7654 32 by Friday.",
        "Pay the deposit to IBAN [IBAN] by Friday.",
        "iban",
    ),
    ("My IBAN is DE89370400440532013000, thanks", "My IBAN is [IBAN], thanks", "iban"),
    ("iban: FR14 2004 1010 0505 0001 3M02 606", "iban: [IBAN]", "iban"),
    ("Refund to NL91ABNA0417164300 please", "Refund to [IBAN] please", "iban"),
    ("BE68 5390 0754 7034 IT desk will check", "[IBAN] IT desk will check", "iban"),
    ("Swiss account CH93 0076 2011 6238 5295 7.", "Swiss account [IBAN].", "iban"),
    ("NO93 8601 1117 947 is my Norwegian account", "[IBAN] is my Norwegian account", "iban"),
    ("es91 2100 0418 4502 0005 1332", "[IBAN]", "iban"),
    ("My NI number is AB 12 34 56 C.", "My NI number is [NI_NUMBER].", "ni_number"),
    ("NINO JG103759A for the payroll form", "NINO [NI_NUMBER] for the payroll form", "ni_number"),
    ("national insurance: PZ345678B", "national insurance: [NI_NUMBER]", "ni_number"),
    (f"aws_secret_access_key = {AWS_SECRET}", "aws_secret_access_key = [SECRET]", "secret"),
    (f'AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"', 'AWS_SECRET_ACCESS_KEY="[SECRET]"', "secret"),
    (
        f'{{"aws_secret_access_key": "{AWS_SECRET}"}}',
        '{"aws_secret_access_key": "[SECRET]"}',
        "secret",
    ),
    (
        "aws_session_token: FwoGZXIvYXdzEBYaDHhBTE9VVVNFUlNfS0VZ",
        "aws_session_token: [SECRET]",
        "secret",
    ),
    ('db password: "correct horse battery"', 'db password: "[SECRET]"', "secret"),
    (
        "session key ASIAY34FZKBOKMUTVV7A expires at noon",
        "session key [SECRET] expires at noon",
        "token",
    ),
    ("export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE", "export AWS_ACCESS_KEY_ID=[SECRET]", "token"),
    (
        "connect to postgresql://faqbot:Sup3rS3cret@db.internal.acme.com:5432/faq",
        "connect to postgresql://[CREDENTIALS]@db.internal.acme.com:5432/faq",
        "url_credentials",
    ),
    (
        "the broker is amqp://guest:guest@rabbit.acme.com//",
        "the broker is amqp://[CREDENTIALS]@rabbit.acme.com//",
        "url_credentials",
    ),
    (
        "clone https://jane.doe:hunter2@git.acme.com/it/wiki.git",
        "clone https://[CREDENTIALS]@git.acme.com/it/wiki.git",
        "url_credentials",
    ),
    (
        "FAQBOT_REDIS_URL=redis://:p%40ss@cache.acme.com:6379/0",
        "FAQBOT_REDIS_URL=redis://[CREDENTIALS]@cache.acme.com:6379/0",
        "url_credentials",
    ),
    (
        "my token glpat-xK3vQz9LmN2pR8sT4wY6 stopped working",
        "my token [SECRET] stopped working",
        "token",
    ),
    ("GITLAB_TOKEN=glpat-AbCdEfGhIjKlMnOpQrSt12", "GITLAB_TOKEN=[SECRET]", "token"),
    ("id_token=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhIn0.c2ln", "id_token=[SECRET]", "token"),
    ("unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ. works", "unsigned [SECRET] works", "token"),
    (f"Authorization: Bearer {JWT}", "Authorization: Bearer [SECRET]", "token"),
    (f"the cookie was {JWT}; it expired", "the cookie was [SECRET]; it expired", "token"),
    ("DOB: 12/03/1985", "DOB: [DATE_OF_BIRTH]", "date_of_birth"),
    (
        "Date of birth 1985-03-12, employee 4471",
        "Date of birth [DATE_OF_BIRTH], employee 4471",
        "date_of_birth",
    ),
    (
        "she was born on 4 July 1979 in Leeds",
        "she was born on [DATE_OF_BIRTH] in Leeds",
        "date_of_birth",
    ),
    ("born on March 3rd, 1990", "born on [DATE_OF_BIRTH]", "date_of_birth"),
    ("D.O.B. 03.12.85", "D.O.B. [DATE_OF_BIRTH]", "date_of_birth"),
    ("birthdate: 12th of March 1985", "birthdate: [DATE_OF_BIRTH]", "date_of_birth"),
    ("Jane Doe (DOB 1/2/1990) asked", "Jane Doe (DOB [DATE_OF_BIRTH]) asked", "date_of_birth"),
    ("passport number: 925076473", "passport number: [PASSPORT]", "passport"),
    (
        "Passport No. C01X00T47 expires next year",
        "Passport No. [PASSPORT] expires next year",
        "passport",
    ),
    ("passport #533380006", "passport #[PASSPORT]", "passport"),
    ("my passport is 107185703", "my passport is [PASSPORT]", "passport"),
    (
        f"key:\n{PRIVATE_KEY}\nthanks",
        "key:\n[SECRET]\nthanks",
        "private_key",
    ),
    ("mail jane.doe@acme.com today", "mail [EMAIL] today", "email"),
    (
        "Call the desk on 0300 123 4567 and quote ticket 4471 2291 0032",
        "Call the desk on [PHONE] and quote ticket 4471 2291 0032",
        "phone",
    ),
]

# Text that looks like the above and must be written exactly as it is.
LOOK_ALIKES = [
    "Order 4402-1187-9931 shipped on Monday",
    "order #7731 2290 4418 is delayed",
    "ticket 4471 2291 0032 is still open",
    "Ref: 2024 1187 9931 in the finance system",
    "see INC0012345 and REQ0098765",
    "Upgrade to faqbot 2.14.3 or Python 3.12.1",
    "Windows build 10.0.19045.4291 is required",
    "The policy takes effect on 2024-01-01 and ends 2025-12-31.",
    "Holidays booked before 2024-03-01 carry over (policy IT-POL-7.2).",
    "The new leave policy, effective 01/04/2024, replaces IT-POL-6.1",
    "Birthday cake in the kitchen at 15:00 on 2024-05-17",
    "The date of birth field is optional on the form",
    "Born on the 4th of July is a film",
    "VPN error 809 at a hotel: use port 443",
    "ERR-2024-000123 in the logs",
    "commit 3f2a9c1d8e7b6a5f4c3d2e1f0a9b8c7d6e5f4a3b fixed it",
    "short sha de89370 broke the build",
    "KB-2024-118 explains the password reset",
    "The password policy: minimum 12 characters",
    "The token expires after 3600 seconds",
    "max_tokens = 4096 in the config",
    "Your passport photo must be 45mm by 35mm",
    "Renew your passport before 2025-06-01 for travel",
    "Passport numbers are stored in Workday, not here",
    "NI numbers look like QQ 12 34 56 C",
    "The IBAN field takes up to 34 characters",
    "AB12 CDEF GHIJ KLMN is not an account",
    "room GB12 on floor 3",
    "AB-1234-56C is the part number",
    "https://confluence.acme.com/display/IT/VPN?src=mail",
    "eyJustKidding is not a token",
    "Call extension 4471",
]


@pytest.mark.parametrize(("text", "written", "kind"), POSITIVES)
def test_personal_data_and_secrets_are_replaced_and_counted(text, written, kind):
    counts = Counter()
    assert scrub(text, counts) == written
    assert +counts == Counter({kind: 1})


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_written_unchanged(text):
    counts = Counter()
    assert scrub(text, counts) == text
    assert +counts == Counter()


def test_one_message_with_many_kinds_counts_each_for_the_manifest():
    counts = Counter()
    text = (
        "I'm Jane (DOB 1985-03-12, NI AB123456C, passport 925076473). Pay GB82 WEST 1234 5698 "
        "7654 32; the job uses postgresql://etl:pw123@db.acme.com/x and glpat-xK3vQz9LmN2pR8sT4wY6"
    )
    scrubbed = scrub(text, counts)
    for secret in ("1985", "AB123456C", "925076473", "GB82", "WEST", "etl", "pw123", "glpat"):
        assert secret not in scrubbed
    assert +counts == Counter(
        date_of_birth=1, ni_number=1, passport=1, iban=1, url_credentials=1, token=1
    )
