"""The catalogue of example documents for the fictional municipality Norrbacka kommun.

Each entry names the text source in ``examples/content``, where the generated file goes,
its format, language and topic. Folder access rules are defined in ``ACCESS_RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Format = Literal[
    "pdf", "scanned-pdf", "docx", "pptx", "xlsx", "html", "md", "txt", "txt-cp1252", "eml"
]


@dataclass(frozen=True)
class EmailSpec:
    """Headers and attachment of a generated e-mail message."""

    sender: str
    recipient: str
    subject: str
    date: str
    message_id: str
    attachment_source: str
    attachment_filename: str


@dataclass(frozen=True)
class DocumentSpec:
    source: str
    path: str
    format: Format
    language: Literal["sv", "en"]
    topic: str
    running_header: str | None = None
    email: EmailSpec | None = None


@dataclass(frozen=True)
class AccessRule:
    """Content of one ``access.toml``: groups for the folder, optional per-file overrides."""

    groups: tuple[str, ...]
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)


KRIS_EMAIL = EmailSpec(
    sender="Säkerhets- och beredskapsfunktionen <krisberedskap@norrbacka.se>",
    recipient="Alla medarbetare <alla-medarbetare@norrbacka.se>",
    subject="Ny krisledningsplan och checklista vid elavbrott",
    date="Mon, 13 Oct 2025 08:30:00 +0200",
    message_id="<krisledningsplan-2025.20251013083000@norrbacka.se>",
    attachment_source="krisberedskap-checklista-elavbrott",
    attachment_filename="checklista-elavbrott.txt",
)

DOCUMENTS: tuple[DocumentSpec, ...] = (
    DocumentSpec("foraldraledighet", "personal/foraldraledighet.docx", "docx", "sv",
                 "Föräldraledighet och föräldrapenningtillägg"),
    DocumentSpec("semester", "personal/semester.md", "md", "sv", "Semester"),
    DocumentSpec("friskvardsbidrag-2023", "personal/friskvardsbidrag-2023.txt", "txt", "sv",
                 "Friskvårdsbidrag 2023 (upphävd)"),
    DocumentSpec("friskvardsbidrag-2025", "personal/friskvardsbidrag-2025.md", "md", "sv",
                 "Friskvårdsbidrag 2025 (gällande)"),
    DocumentSpec("distansarbete", "personal/distansarbete.docx", "docx", "sv",
                 "Distansarbete"),
    DocumentSpec("bisyssla", "personal/bisyssla.txt", "txt-cp1252", "sv", "Bisysslor"),
    DocumentSpec("resepolicy", "ekonomi/resepolicy.pdf", "pdf", "sv",
                 "Tjänsteresor", running_header="Norrbacka kommun – Resepolicy"),
    DocumentSpec("traktamente-milersattning-2025",
                 "ekonomi/traktamente-milersattning-2025.xlsx", "xlsx", "sv",
                 "Traktamente och milersättning"),
    DocumentSpec("inkop-och-upphandling", "ekonomi/inkop-och-upphandling.docx", "docx", "sv",
                 "Inköp och direktupphandling"),
    DocumentSpec("travel-policy-international-guests",
                 "ekonomi/travel-policy-international-guests.html", "html", "en",
                 "Travel rules for international guests"),
    DocumentSpec("it-sakerhet-nyanstallda", "it/it-sakerhet-nyanstallda.pptx", "pptx", "sv",
                 "IT-säkerhet för nyanställda"),
    DocumentSpec("information-security-contractors",
                 "it/information-security-contractors.md", "md", "en",
                 "Information security for contractors"),
    DocumentSpec("personuppgiftsincidenter", "it/personuppgiftsincidenter.md", "md", "sv",
                 "Personuppgiftsincidenter (GDPR)"),
    DocumentSpec("whistleblowing-procedure", "sakerhet/whistleblowing-procedure.txt", "txt",
                 "en", "Whistleblowing"),
    DocumentSpec("krisberedskap-meddelande", "sakerhet/krisberedskap-meddelande.eml", "eml",
                 "sv", "Krisberedskap och elavbrott", email=KRIS_EMAIL),
    DocumentSpec("parkeringstillstand", "samhallsbyggnad/parkeringstillstand.html", "html",
                 "sv", "Parkeringstillstånd för rörelsehindrade"),
    DocumentSpec("bygglov-handlaggningsrutin",
                 "samhallsbyggnad/bygglov-handlaggningsrutin.pdf", "scanned-pdf", "sv",
                 "Bygglovshandläggning"),
    DocumentSpec("rehabilitering-sjukfranvaro", "hr/rehabilitering-sjukfranvaro.docx", "docx",
                 "sv", "Rehabilitering och sjukfrånvaro"),
    DocumentSpec("lonekartlaggning-2024", "hr/lonekartlaggning-2024.md", "md", "sv",
                 "Lönekartläggning 2024"),
    DocumentSpec("personalakter-arkivering-gallring",
                 "hr/personalakter-arkivering-gallring.txt", "txt", "sv",
                 "Personalakter, arkivering och gallring"),
    DocumentSpec("lonerevision-2025-instruktion", "chefer/lonerevision-2025-instruktion.md",
                 "md", "sv", "Lönerevision 2025"),
    DocumentSpec("lonetabell-2025", "chefer/lonetabell-2025.xlsx", "xlsx", "sv",
                 "Ingångslöner och lönestatistik"),
)  # fmt: skip

ACCESS_RULES: dict[str, AccessRule] = {
    "hr": AccessRule(groups=("hr",)),
    "chefer": AccessRule(groups=("chefer", "hr"), files={"lonetabell-2025.xlsx": ("hr",)}),
}


def readers_of(path: str) -> tuple[str, ...] | None:
    """Groups allowed to read ``path`` (relative), or ``None`` for everyone."""
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        rule = ACCESS_RULES.get("/".join(parts[:depth]))
        if rule is not None:
            return rule.files.get("/".join(parts[depth:]), rule.groups)
    return None
