#!/usr/bin/env python3
"""Build the PDF and DOCX documents of the sample knowledge base.

The text of the four binary documents lives in this file so that it can be
reviewed and diffed like the Markdown, text and HTML documents next to it.
Running the script (re)writes:

    docs/parental-leave-policy.pdf
    docs/payroll-faq.pdf
    docs/hardware-requests.docx
    docs/onboarding-checklist.docx

Requirements: reportlab (PDF) and python-docx (DOCX).

Usage:
    python sample_kb/build_binary_docs.py [--out-dir DIR]

All content is fictional ("Northwind Harbor Ltd.") and written for faqbot.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from xml.sax.saxutils import escape

# A document is a title plus a list of blocks:
#   ("p", "text")             a paragraph
#   ("h2", "text")            a section heading
#   ("ul", ["item", ...])     a bulleted list
#   ("ol", ["step", ...])     a numbered list
Block = tuple

PARENTAL_LEAVE = {
    "file": "parental-leave-policy.pdf",
    "title": "Parental Leave Policy",
    "blocks": [
        ("p", "Northwind Harbor Ltd. | Owner: People Team | Version 2.2, effective 1 April 2024"),
        ("h2", "Who this policy covers"),
        (
            "p",
            (
                "This policy applies to all employees on UK contracts who are becoming parents through "
                "birth, adoption or surrogacy. Everyone can take parental leave from their first day of "
                "employment. To receive the enhanced company pay described below you need at least "
                "26 weeks of continuous service by the end of the 15th week before the expected week of "
                "childbirth, or by the week in which you are matched with a child for adoption. "
                "Employees with shorter service receive statutory pay."
            ),
        ),
        ("h2", "Birth parent leave"),
        (
            "p",
            (
                "The birth parent can take up to 52 weeks of leave in total. The earliest the leave can "
                "start is 11 weeks before the expected week of childbirth, and the two weeks immediately "
                "after the birth are compulsory leave. Company pay for birth parent leave is:"
            ),
        ),
        (
            "ul",
            [
                "Weeks 1 to 18: full basic salary.",
                "Weeks 19 to 26: half basic salary, plus any statutory pay you are entitled to.",
                "Weeks 27 to 39: statutory pay only.",
                "Weeks 40 to 52: unpaid.",
            ],
        ),
        ("h2", "Partner leave"),
        (
            "p",
            (
                "The partner of the birth parent, or the secondary adopter, receives 6 weeks of partner "
                "leave at full basic salary. It can be taken in up to three blocks of at least one week "
                "each, at any time within 12 months of the birth or placement. Give your manager at least "
                "4 weeks' notice of the dates of each block."
            ),
        ),
        ("h2", "Adoption and surrogacy"),
        (
            "p",
            (
                "The primary adopter receives the same leave and pay as a birth parent, and the secondary "
                "adopter receives partner leave. Intended parents in a surrogacy arrangement who will "
                "apply for a parental order are treated in the same way as adopters. Adopters also get "
                "paid time off for up to five pre-adoption meetings."
            ),
        ),
        ("h2", "Shared parental leave"),
        (
            "p",
            (
                "Parents can choose to end birth parent or adoption leave early and share the remaining "
                "weeks as Shared Parental Leave. If you do, any weeks of enhanced company pay that you "
                "have not yet used transfer to the shared leave, so switching never reduces the total "
                "enhanced pay your family receives from Northwind Harbor. Shared leave must be booked "
                "with at least 8 weeks' notice."
            ),
        ),
        ("h2", "Neonatal care"),
        (
            "p",
            (
                "If your baby is admitted to neonatal care within 28 days of birth and stays there for 7 "
                "or more continuous days, each parent receives up to 12 extra weeks of leave at full pay, "
                "added to the end of their birth parent or partner leave."
            ),
        ),
        ("h2", "How to tell us"),
        (
            "ol",
            [
                (
                    "Tell your line manager and the People Team by the end of the 15th week before the "
                    "expected week of childbirth (for adoption, within 7 days of being matched)."
                ),
                "Submit a Parental Leave Notification in Orbit HR with your planned start date.",
                "Birth parents upload the MATB1 certificate from their midwife or doctor.",
                "The People Team confirms your leave dates and pay in writing within 28 days.",
            ],
        ),
        ("h2", "Time off before the birth"),
        (
            "p",
            (
                "Pregnant employees get paid time off for all antenatal appointments, including classes "
                "recommended by their midwife. Partners can take paid time off for up to two antenatal "
                "appointments, of up to 6.5 hours each."
            ),
        ),
        ("h2", "While you are on leave"),
        (
            "ul",
            [
                "Your holiday entitlement keeps building up during the whole period of leave.",
                "Pension contributions continue during paid leave, based on your normal full salary.",
                "Private medical insurance, life assurance and other benefits continue unchanged.",
                (
                    "You can work up to 10 Keeping In Touch (KIT) days, paid at your full daily rate on top of "
                    "any leave pay. KIT days are voluntary for both you and your manager."
                ),
            ],
        ),
        ("h2", "Coming back to work"),
        (
            "p",
            (
                "For the first 4 weeks after you return you may work 80% of your contracted hours on full "
                "pay, as a phased return. Flexible working requests are welcome at any time and will be "
                "answered within 4 weeks. You will not be asked to pay back any enhanced pay if you "
                "leave the company after returning. Private nursing rooms with a fridge are available on "
                "the second floor in Bristol and in the wellbeing room in Leeds."
            ),
        ),
        (
            "p",
            "Questions: email people@northwindharbor.example or ask in the #people-help Slack channel.",
        ),
    ],
}

PAYROLL_FAQ = {
    "file": "payroll-faq.pdf",
    "title": "Payroll FAQ",
    "blocks": [
        ("p", "Northwind Harbor Ltd. | Owner: Payroll team, Finance | Updated February 2025"),
        ("h2", "When do we get paid?"),
        (
            "p",
            (
                "Salaries are paid monthly, on the last working day of the month. If that day is a bank "
                "holiday, you are paid on the working day before. December salaries are paid early, on "
                "20 December, or the working day before if the 20th falls at a weekend. Payslips are "
                "published in Orbit HR three working days before payday, and you get an email when a new "
                "payslip is available."
            ),
        ),
        ("h2", "What is the payroll cut-off?"),
        (
            "p",
            (
                "Anything that changes your pay (new bank details, on-call claims, overtime, starters "
                "and leavers) must reach the Payroll team by the 15th of the month to be included in that "
                "month's pay. Changes received after the 15th are processed in the following month."
            ),
        ),
        ("h2", "How do I change my bank details? (PAY-7 form)"),
        (
            "p",
            (
                "Bank details can only be changed with the PAY-7 Change of Bank Details form. For "
                "security reasons Payroll never changes bank details because of an email, a phone call "
                "or a Slack message alone. Download the PAY-7 form from Orbit HR under Documents, "
                "Payroll forms, then:"
            ),
        ),
        (
            "ol",
            [
                (
                    "Section A: enter your full name and your six-digit employee number (it starts with 4 and "
                    "is shown on your payslip)."
                ),
                (
                    "Section B: enter the new account holder name, sort code and account number, plus the "
                    "roll number if you bank with a building society."
                ),
                (
                    "Section C: sign and date the form. A handwritten signature on a scan or an approved "
                    "e-signature are both accepted."
                ),
                (
                    "Email the completed form from your company email address to "
                    "payroll@northwindharbor.example. Forms sent from personal email addresses are rejected."
                ),
                (
                    "A member of the Payroll team calls you on the phone number held in Orbit HR to confirm "
                    "the change before it is made."
                ),
            ],
        ),
        (
            "p",
            (
                "Keep your old bank account open until your first salary has arrived in the new one. "
                "If someone contacts you claiming to be from Payroll and asks for your bank details, do "
                "not reply: report it as a security incident."
            ),
        ),
        ("h2", "Can I get a salary advance?"),
        (
            "p",
            (
                "In a genuine emergency you can ask for a salary advance of up to 50% of your normal net "
                "monthly pay, once in any 12-month period. It is repaid in equal amounts from your next "
                "three payslips. Ask your line manager first; the advance also needs approval from the "
                "Head of Payroll and is normally paid within 2 working days."
            ),
        ),
        ("h2", "My tax code looks wrong. What should I do?"),
        (
            "p",
            (
                "Payroll must use the tax code that HMRC sends us and cannot change it. Contact HMRC "
                "directly through your personal tax account; once HMRC issues a new code we apply it "
                "automatically from the next payroll. The same applies to student loan deductions."
            ),
        ),
        ("h2", "How are on-call and overtime paid?"),
        (
            "ul",
            [
                (
                    "On-call allowance: £30 for each weekday night and £60 for each weekend day or "
                    "bank holiday on the rota."
                ),
                (
                    "Overtime, for eligible roles only, is paid at 1.5 times your hourly rate and must be "
                    "approved by your manager in advance."
                ),
                "Submit on-call and overtime claims in Orbit HR by the 5th of the following month.",
            ],
        ),
        ("h2", "There is a mistake on my payslip"),
        (
            "p",
            (
                "Tell Payroll within 5 working days of payday. If you have been underpaid by more than "
                "£100, we make an extra off-cycle payment within 3 working days; smaller amounts "
                "are corrected in the next month's pay. If you have been overpaid, we agree a repayment "
                "plan with you, normally spread over the same number of months as the overpayment."
            ),
        ),
        ("h2", "Pay reviews and bonus"),
        (
            "p",
            (
                "The annual salary review takes effect on 1 April, and letters confirming any change are "
                "sent in March. The annual company bonus, when one is declared, is paid with June "
                "salaries."
            ),
        ),
        ("h2", "What happens to my pay when I leave?"),
        (
            "p",
            (
                "Your final pay is made on the normal payday. If your last day is after the 15th, some of "
                "it may be paid the following month. It includes payment for any holiday you have "
                "earned but not taken. Your P45 is emailed to your personal email address within 2 "
                "weeks of your final payday."
            ),
        ),
        ("h2", "Contact Payroll"),
        (
            "p",
            (
                "Email payroll@northwindharbor.example, call extension 2300, or ask in the #payroll-help "
                "Slack channel (never post personal or bank details there). The Payroll team is "
                "available 09:00 to 17:00, Monday to Friday."
            ),
        ),
    ],
}

HARDWARE_REQUESTS = {
    "file": "hardware-requests.docx",
    "title": "Hardware Requests and Equipment Guide",
    "blocks": [
        ("p", "Northwind Harbor Ltd. | Owner: IT End User Services | Version 1.6, January 2025"),
        ("h2", "NorthDesk, the IT self-service portal"),
        (
            "p",
            (
                "NorthDesk is where you ask IT for anything: reporting a fault, following up a ticket, "
                "or ordering equipment. Open it at northdesk.nwh.internal from any browser; it uses "
                "single sign-on and works without the VPN. You can also type /northdesk in Slack to "
                "open a ticket from a conversation. Every request gets a reference number, and hardware "
                "requests start with HW- followed by five digits."
            ),
        ),
        ("h2", "Standard equipment"),
        (
            "ul",
            [
                (
                    "Engineering and data roles: a 16-inch MacBook Pro with 36 GB of memory, or a Dell "
                    "Precision 5690 for people who work mainly on Windows or Linux."
                ),
                "All other roles: a 14-inch Lenovo ThinkPad T14 with 16 GB of memory.",
                (
                    "Everyone: one 27-inch monitor for home working, a Jabra Evolve2 65 wireless headset, a "
                    "keyboard, a mouse and a laptop stand."
                ),
                (
                    "A second monitor for home is provided only with a business justification, for example "
                    "for trading-floor style operations dashboards."
                ),
            ],
        ),
        ("h2", "How to submit the HW-REQ form"),
        (
            "ol",
            [
                "Sign in to NorthDesk and choose Request something, then Hardware, then HW-REQ form.",
                (
                    "Pick the items from the catalogue. For an item that is not in the catalogue, paste a "
                    "link to the product and its price."
                ),
                "Enter your team's five-digit cost centre and a short business justification.",
                (
                    "Submit the form. It goes to your line manager for approval automatically. Non-standard "
                    "items costing more than £500 also need sign-off from the IT Operations Lead."
                ),
                (
                    "Follow progress under My requests in NorthDesk. You get a message in Slack when the "
                    "item is ready or has been dispatched."
                ),
            ],
        ),
        ("h2", "Delivery times"),
        (
            "p",
            (
                "Catalogue items that are in stock are ready for collection at the Bristol or Leeds "
                "office within 3 working days, or delivered by courier to a UK home address within 5 "
                "working days. Non-standard items take 10 to 15 working days. IT does not ship equipment "
                "outside the UK."
            ),
        ),
        ("h2", "Laptop refresh and buy-back"),
        (
            "p",
            (
                "Standard laptops are replaced every 4 years and engineering laptops every 3 years. "
                "NorthDesk emails you 6 weeks before your refresh date to book the swap. Once the old "
                "laptop has been securely wiped you can buy it for £100, if it is still in working "
                "order. Laptops that are not bought are recycled by our certified partner."
            ),
        ),
        ("h2", "Broken or faulty equipment"),
        (
            "p",
            (
                "Raise an incident in NorthDesk describing the fault. In Bristol you can also walk up to "
                "the Tech Dock, the IT help bar on the ground floor, open 10:00 to 16:00 Monday to "
                "Friday, where technicians fix small problems on the spot and can lend you a loan laptop "
                "the same day. A lost or stolen laptop must be reported as a security incident first."
            ),
        ),
        ("h2", "Cables, mice and other small items"),
        (
            "p",
            (
                "Replacement cables, adapters, mice, keyboards and headset ear cushions are available "
                "from the vending locker next to the Tech Dock. Tap your badge and take what you need; no "
                "ticket is required. There is a limit of 3 items per person per month."
            ),
        ),
        ("h2", "Ergonomic equipment"),
        (
            "p",
            (
                "Complete the Display Screen Equipment (DSE) self-assessment in NorthDesk first. If it "
                "recommends an ergonomic chair, footrest, vertical mouse or split keyboard, order it on "
                "the HW-REQ form and tick the DSE box; these items do not need manager approval. Needs "
                "linked to a medical condition are handled with Occupational Health."
            ),
        ),
        ("h2", "Mobile phones"),
        (
            "p",
            (
                "Company mobile phones (currently the iPhone 15) are issued only to people on an on-call "
                "rota and to field roles that visit customer depots. Everyone else uses the company apps "
                "on their own phone."
            ),
        ),
        ("h2", "Returning equipment"),
        (
            "p",
            (
                "Leavers hand back all equipment on their last day. Remote leavers receive a prepaid "
                "returns box one week before they leave. The value of equipment that is not returned "
                "may be deducted from final pay."
            ),
        ),
    ],
}

ONBOARDING = {
    "file": "onboarding-checklist.docx",
    "title": "New Starter Onboarding Checklist",
    "blocks": [
        (
            "p",
            "Northwind Harbor Ltd. | Owners: People Team and IT | For new employees and their managers",
        ),
        (
            "p",
            (
                "Welcome to Northwind Harbor! This checklist explains what happens before you join, on "
                "your first day, and during your first months. Work through it with your manager and "
                "your buddy, and tick items off as you go."
            ),
        ),
        ("h2", "Before your first day"),
        (
            "ul",
            [
                (
                    "Sign your contract and fill in your starter details in Orbit HR: emergency contact, "
                    "bank details and the new starter tax checklist."
                ),
                (
                    "Have your right-to-work evidence ready: your original passport or a Home Office share "
                    "code must be checked on or before day one."
                ),
                (
                    "On the Friday before you start, a welcome email with your username and first sign-in "
                    "instructions is sent to your personal email address."
                ),
                "Your laptop is either couriered to your home or waiting for you at the office.",
            ],
        ),
        ("h2", "Day one"),
        (
            "ol",
            [
                "Arrive at reception at 09:30. Remote starters join the 09:30 welcome video call instead.",
                (
                    "10:00 to 11:30: IT setup session at the Welcome Desk. You sign in for the first time, "
                    "choose a passphrase, set up multi-factor authentication and test the VPN."
                ),
                "Have lunch with your buddy. The company pays for it.",
                "In the afternoon, meet your manager for a one-to-one to go through your first-week plan.",
            ],
        ),
        ("h2", "First week"),
        (
            "ul",
            [
                (
                    "Complete three mandatory e-learning modules within your first 10 working days: "
                    "Information Security Essentials (40 minutes), Data Protection Basics (30 minutes) and "
                    "the Code of Conduct (45 minutes)."
                ),
                (
                    "Join the Slack channels #announcements, #general and #new-starters, plus your team's "
                    "channel."
                ),
                "Register two recovery methods for self-service password reset.",
                "Complete your Display Screen Equipment self-assessment.",
            ],
        ),
        ("h2", "First month"),
        (
            "ul",
            [
                (
                    "Attend Harbor Welcome, our company induction day. It is held on the first Tuesday of "
                    "every month at the Bristol head office and includes a Q&A with the CEO, a tour of "
                    "HarborTrack, our logistics visibility platform, and a session with the Customer "
                    "Success team. Travel and one hotel night are paid for people based outside Bristol."
                ),
                "Agree your 30-60-90 day goals with your manager by the end of your third week.",
                (
                    "Shadow a two-hour customer support session. Every new starter does this, whatever "
                    "their role."
                ),
            ],
        ),
        ("h2", "Your buddy"),
        (
            "p",
            (
                "Every new starter is given a buddy from a different team. Your buddy is your first "
                "point of contact for everyday questions. Plan a 30-minute catch-up with them every week "
                "for your first 6 weeks."
            ),
        ),
        ("h2", "Probation"),
        (
            "p",
            (
                "The probation period is 6 months, with review meetings at 3 months and at 6 months. It "
                "can be extended once, by up to 3 months. During probation the notice period on both "
                "sides is 1 week."
            ),
        ),
        ("h2", "Checklist for managers"),
        (
            "ul",
            [
                (
                    "Order the new starter's laptop and equipment at least 10 working days before the start "
                    "date."
                ),
                "Choose a buddy from another team and introduce them at least one week before day one.",
                "Add the new starter to team meetings, calendars and Slack channels.",
                "Book weekly one-to-ones for the first three months.",
                "Book a place on the next Harbor Welcome day.",
            ],
        ),
        ("h2", "Who to ask"),
        (
            "p",
            (
                "HR and contract questions: people@northwindharbor.example. IT problems: #it-helpdesk on "
                "Slack. Anything else: your buddy or your manager."
            ),
        ),
    ],
}

PDF_DOCS = [PARENTAL_LEAVE, PAYROLL_FAQ]
DOCX_DOCS = [HARDWARE_REQUESTS, ONBOARDING]


def build_pdf(doc: dict, out_dir: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

    path = out_dir / doc["file"]
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    story = [Paragraph(escape(doc["title"]), styles["Heading1"])]
    for kind, content in doc["blocks"]:
        if kind == "p":
            story.append(Paragraph(escape(content), body))
        elif kind == "h2":
            story.append(Paragraph(escape(content), styles["Heading2"]))
        elif kind in ("ul", "ol"):
            items = [ListItem(Paragraph(escape(item), body)) for item in content]
            if kind == "ul":
                story.append(
                    ListFlowable(items, bulletType="bullet", start="\u2022", leftIndent=14)
                )
            else:
                story.append(ListFlowable(items, bulletType="1", leftIndent=14))
            story.append(Spacer(1, 4))
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    template = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=doc["title"],
        author="Northwind Harbor Ltd. (fictional)",
        subject="faqbot sample knowledge base",
        invariant=1,  # reproducible output: fixed dates and document id
    )
    template.build(story)
    return path


def build_docx(doc: dict, out_dir: Path) -> Path:
    import docx

    path = out_dir / doc["file"]
    document = docx.Document()
    document.core_properties.title = doc["title"]
    document.core_properties.author = "Northwind Harbor Ltd. (fictional)"
    document.add_heading(doc["title"], level=1)
    for kind, content in doc["blocks"]:
        if kind == "p":
            document.add_paragraph(content)
        elif kind == "h2":
            document.add_heading(content, level=2)
        elif kind == "ul":
            for item in content:
                document.add_paragraph(item, style="List Bullet")
        elif kind == "ol":
            for item in content:
                document.add_paragraph(item, style="List Number")
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    document.save(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path(__file__).resolve().parent / "docs",
        help="directory to write the files to (default: sample_kb/docs)",
    )
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for doc in PDF_DOCS:
        print("wrote", build_pdf(doc, args.out_dir))
    for doc in DOCX_DOCS:
        print("wrote", build_docx(doc, args.out_dir))


if __name__ == "__main__":
    main()
