"""Admin: the documents that hold personal identity numbers, and the passages of the last
sync that read like instructions to a model.

An admin is a reader too: only documents their groups may read are named (a file name
is information as well); the others are a count.
"""

from __future__ import annotations

import streamlit as st

from assistant.identity import Identity
from assistant.runtime import Runtime
from assistant.store.access import readable_by
from assistant.text.personal import mask_personal_numbers
from ingest.report import FileResult, load_latest
from ui import markup
from ui.text import ui_text


def personal_data_section(runtime: Runtime, viewer: Identity) -> None:
    """Indexed documents with personal identity numbers, then the last sync's findings."""
    st.header("Personnummer och instruktionsliknande text", divider="gray")
    policy = runtime.settings.ingest.personal_numbers
    policies = ui_text().personal_policies
    st.caption(
        f"Personnummer och samordningsnummer i dokumenten: {policies[policy]} "
        "(inställningen ingest.personal_numbers)."
    )
    allowed = set(readable_by(viewer.groups))
    states = [s for s in runtime.store.doc_states().values() if s.personal_numbers]
    readable = sorted(
        (s for s in states if not allowed.isdisjoint(s.groups)), key=lambda s: s.file.lower()
    )
    if readable:
        st.dataframe(
            [
                {
                    "Fil": mask_personal_numbers(s.file)[0],
                    "Personnummer": s.personal_numbers,
                    "Hantering": ui_text().personal_policies.get(s.personal_policy or "", "–"),
                }
                for s in readable
            ],
            hide_index=True,
        )
    else:
        st.caption("Inga indexerade dokument som du får läsa innehåller personnummer.")
    _others(len(states) - len(readable), "indexerade dokument med personnummer")
    report = load_latest(runtime.settings.reports_dir)
    if report is not None:
        _last_sync(report.with_personal_numbers, report.with_instructions, allowed)


def _last_sync(
    numbers: list[FileResult], instructions: list[FileResult], allowed: set[str]
) -> None:
    shown = [f for f in numbers if not allowed.isdisjoint(f.groups)]
    if shown:
        st.markdown(f"**Personnummer i senaste synkroniseringen ({len(shown)} filer)**")
        st.dataframe(
            [
                {
                    "Fil": _name(f),
                    "Personnummer": f.personal_numbers,
                    "Hantering": ui_text().personal_policies.get(f.personal_policy or "", "–"),
                }
                for f in shown
            ],
            hide_index=True,
        )
    _others(len(numbers) - len(shown), "filer med personnummer i senaste synkroniseringen")
    readable = [f for f in instructions if not allowed.isdisjoint(f.groups)]
    if readable:
        st.markdown(
            f"**Text som liknar instruktioner till en språkmodell ({len(readable)} filer)**"
        )
        st.caption(
            "Meningarna är indexerade men visas aldrig för språkmodellen eller i svaren. "
            "Kontrollera dokumentet om texten inte borde finnas där."
        )
        st.dataframe(
            [{"Fil": _name(f), "Text": text} for f in readable for text in f.instructions],
            hide_index=True,
        )
    _others(
        len(instructions) - len(readable), "filer med instruktionsliknande text i senaste körningen"
    )


def _others(count: int, what: str) -> None:
    if count:
        st.caption(markup.text(f"Ytterligare {count} {what} som dina grupper inte får läsa."))


def _name(result: FileResult) -> str:
    """The file's name with its personal identity numbers masked, whatever the policy
    (under 'skip' and 'flag' the report holds the name as it is)."""
    return mask_personal_numbers(result.file)[0]
