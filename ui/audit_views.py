"""The audit trail on screen, for the Granskning page: the log's filters, its table, one
record in full, and the content-gap charts and table. Records arrive already as the viewer
may see them (``AuditRecord.visible_to``); this module only labels and lays them out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st

from assistant import clock
from assistant.query.contract import where
from assistant.summary.library import DocumentInfo
from assistant.trail import AuditFilter, AuditRecord
from assistant.trail.audit import REASONS, Kind, Verdict
from assistant.trail.gaps import GapReport
from ui import markup
from ui.source_viewer import live_page_link
from ui.text import ui_text

KINDS: tuple[Kind, ...] = ("answer", "summary", "action")
LOG_DAYS = 30  # the period the log shows at first
EXAMPLES = 3  # questions of a topic shown in its table row


# -- the log -------------------------------------------------------------------------


def log_filters(documents: Sequence[DocumentInfo], limit: int) -> AuditFilter:
    """The filters above the log; the document list holds only what the viewer may read
    (a name they may not read is never offered, nor confirmed by a count)."""
    today = date.today()
    top = st.columns([2, 2, 3])
    period = top[0].date_input(
        "Period",
        value=(today - timedelta(days=LOG_DAYS), today),
        max_value=today,
        format="YYYY-MM-DD",
        key="audit_period",
    )
    user = (
        top[1].text_input("Användare", key="audit_user", placeholder="Id eller del av namn").strip()
    )
    labels = {d.doc_id: d.label for d in documents}
    document = top[2].selectbox(
        "Dokument",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key="audit_document",
        placeholder="Alla dokument",
    )
    bottom = st.columns([3, 2, 2])
    kinds: list[Kind] = bottom[0].multiselect(
        "Typ",
        list(KINDS),
        format_func=lambda k: ui_text().record_kinds[k].capitalize(),
        key="audit_kinds",
        placeholder=ui_text().all_kinds,
    )
    refused_choices, feedback_choices = _refused_choices(), _feedback_choices()
    refused = bottom[1].selectbox("Obesvarad", list(refused_choices), key="audit_refused")
    verdict = bottom[2].selectbox("Återkoppling", list(feedback_choices), key="audit_feedback")
    since, until = _period(period)
    return AuditFilter(
        since=since,
        until=until,
        user=user or None,
        document=document,
        refused=refused_choices[refused],
        feedback=feedback_choices[verdict],
        kinds=tuple(kinds),
        limit=limit,
    )


def _refused_choices() -> dict[str, bool | None]:
    names = ui_text().refused_filter
    return {names["all"]: None, names["yes"]: True, names["no"]: False}


def _feedback_choices() -> dict[str, Verdict | None]:
    names = ui_text().feedback_filter
    return {names["all"]: None, names["up"]: "up", names["down"]: "down", names["none"]: "none"}


def _period(chosen: Any) -> tuple[datetime | None, datetime | None]:
    """From the first day's start to the last day's end, local time, as UTC (the trail's
    clock); a range still being picked (one day) is that day onwards."""
    days = [d for d in (chosen if isinstance(chosen, (tuple, list)) else (chosen,)) if d]
    if not days:
        return None, None

    def start(day: date) -> datetime:
        return datetime.combine(day, time.min).astimezone().astimezone(UTC)

    since = start(days[0])
    until = start(days[1] + timedelta(days=1)) if len(days) > 1 else None
    return since, until


# What asked (``AuditRecord.client``), as the log names it.
CLIENTS = {
    "app": "appen",
    "cli": "kommandoraden",
    "api": "API",
    "openai": "API (OpenAI-format)",
    "mcp": "MCP-verktyg",
}


def record_table(shown: Sequence[AuditRecord]) -> None:
    st.dataframe(
        [
            {
                "Id": r.id,
                "Tid": _local(r.at),
                "Användare": r.user_name or r.user_id,
                "Roll": ui_text().roles.get(r.role, r.role),
                "Typ": ui_text().record_kinds.get(r.kind, r.kind),
                "Via": CLIENTS.get(r.client, r.client),
                "Fråga / åtgärd": what(r),
                "Obesvarad": "" if r.refused is None else ("ja" if r.refused else "nej"),
                "Återkoppling": verdict(r),
                "Citerade filer": "; ".join(dict.fromkeys(c.file for c in r.citations)),
            }
            for r in shown
        ],
        hide_index=True,
        width="stretch",
    )


def what(r: AuditRecord) -> str:
    """The question (or request) of a record, or its action in words."""
    if r.kind != "action":
        return r.question or ""
    about = r.detail.get("what")
    name = ui_text().actions.get(r.action or "", r.action or "")
    return f"{name}: {about}" if isinstance(about, str) else name


def verdict(r: AuditRecord) -> str:
    if r.feedback is None:
        return ""
    if r.feedback.score:
        return "tummen upp"
    reason = REASONS.get(r.feedback.reason or "")
    return "tummen ned" + (f": {reason}" if reason else "")


def record_label(r: AuditRecord) -> str:
    text = " ".join(what(r).split())
    text = text[:70] + "…" if len(text) > 70 else text
    return f"{r.id} · {_local(r.at)} · {r.user_name or r.user_id} · {text}"


def show_record(r: AuditRecord) -> None:
    """One record in full, as the viewer may see it."""
    with st.container(border=True):
        who = r.user_name or r.user_id
        role = ui_text().roles.get(r.role, r.role)
        kind = ui_text().record_kinds.get(r.kind, r.kind)
        st.markdown(f"**Post {r.id}** · {markup.text(f'{_local(r.at)} · {who} ({role}) · {kind}')}")
        st.caption(markup.text("Grupper: " + (", ".join(r.groups) or "inga")))
        if r.kind == "action":
            st.markdown(f"**Åtgärd:** {markup.text(what(r))}")
            st.code(json.dumps(r.detail, ensure_ascii=False, indent=2), language="json")
            return
        label = "Fråga" if r.kind == "answer" else "Beställning"
        st.markdown(f"**{label}**  \n{markup.text(r.question or '')}")
        if r.personal_data:
            st.caption("Frågan innehöll ett personnummer; det är maskerat.")
        st.markdown("**Svar**" + (" (obesvarad: inget stöd i dokumenten)" if r.refused else ""))
        st.markdown(markup.text(r.answer or ""))
        _cited(r)
        _feedback(r)
        st.caption(markup.text(_how(r)))


def _cited(r: AuditRecord) -> None:
    if not r.citations:
        return
    st.markdown(f"**Källor ({len(r.citations)})**")
    for c in r.citations:
        if not c.readable:  # its name, quote and live page are withheld
            st.markdown(markup.text(f"[{c.n}] {c.file}"))
            continue
        # A web or SharePoint page goes by its address, not by its copy in the mirror.
        place = where(c.url or c.file, [c.page], c.heading, sep=" · ")
        st.markdown(f"**{markup.text(f'[{c.n}] {c.title or c.file}')}**  \n{markup.text(place)}")
        if c.quote:
            st.markdown("> " + markup.text(" ".join(c.quote.split())))
        live_page_link(c.url, key=f"audit_page_{r.id}_{c.n}")


def _feedback(r: AuditRecord) -> None:
    if r.feedback is None:
        st.caption("Ingen återkoppling.")
        return
    text = f"Återkoppling: {verdict(r)} ({_local(r.feedback.at)})"
    if r.feedback.comment:
        text += f"\nKommentar: {r.feedback.comment}"
    st.markdown(markup.text(text))


def _how(r: AuditRecord) -> str:
    mode = ui_text().answer_modes.get(r.mode or "", r.mode or "–")
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in r.timings.items()) or "–"
    return (
        f"Via: {CLIENTS.get(r.client, r.client)} · läge: {mode} · modell: {r.model or '–'} · "
        f"slutpunkt: {r.endpoint or '–'} · tider: {timings}"
    )


def _local(at: datetime) -> str:
    return clock.shown(at)


# -- content gaps --------------------------------------------------------------------


def gap_charts(report: GapReport) -> None:
    """Refusals and thumbs-down per week, per asking group, and the biggest topics; each
    chart's figures also as a table (read by a screen reader, or copied)."""
    weekly = report.weekly()
    left, right = st.columns(2)
    with left:
        st.markdown("**Per vecka**")
        per_week: dict[str, list[Any]] = {
            "Vecka": list(weekly),
            "Obesvarade": [w["refused"] for w in weekly.values()],
            "Tummen ned": [w["thumbs_down"] for w in weekly.values()],
        }
        st.bar_chart(per_week, x="Vecka", y=["Obesvarade", "Tummen ned"], y_label="Frågor")
        _as_table(per_week, "per-week")
    with right:
        groups = report.by_group()
        st.markdown("**Per grupp som frågade**")
        per_group: dict[str, list[Any]] = {"Grupp": list(groups), "Frågor": list(groups.values())}
        st.bar_chart(per_group, x="Grupp", y="Frågor", horizontal=True, sort="-Frågor")
        _as_table(per_group, "per-group")
    biggest = report.gaps[:10]
    st.markdown("**Största luckorna**")
    topics: dict[str, list[Any]] = {
        "Ämne": [f"{n}. {_short(g.topic)}" for n, g in enumerate(biggest, start=1)],
        "Frågor": [g.count for g in biggest],
    }
    st.bar_chart(topics, x="Ämne", y="Frågor", horizontal=True, sort="-Frågor")
    _as_table(topics, "topics")


def _as_table(columns: Mapping[str, Sequence[object]], key: str) -> None:
    """A chart's figures as a table (an HTML table, unlike the data grid)."""
    with st.expander("Siffrorna som tabell", key=f"chart-table-{key}"):
        rows = [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]
        st.table(rows, hide_index=True)


def gap_table(report: GapReport) -> None:
    st.dataframe(
        [
            {
                "Ämne": g.topic,
                "Frågor": g.count,
                "Obesvarade": g.refused,
                "Mapp": g.folder,
                "Närmaste dokument": "; ".join(d.rel_path for d in g.closest),
                "Exempel": " | ".join(q.question for q in g.questions[:EXAMPLES]),
            }
            for g in report.gaps
        ],
        hide_index=True,
        width="stretch",
    )


def _short(text: str, most: int = 60) -> str:
    words = " ".join(text.split())
    return words if len(words) <= most else words[: most - 1] + "…"
