"""Evaluation runs on screen: one run (gate, metrics, failing cases, its report), the
history of runs and a comparison of two. The rows come from ``evals.views``; this module
only labels them in Swedish and lays them out.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant import clock
from evals.records import CaseMove, Comparison, EvalRun, Summary
from evals.views import KEY_METRICS, delta_rows, failing_cases, gate_rows, history_rows, ordered
from ui import markup
from ui.text import ui_text

MEANING = {
    "doc_hit@5": "Rätt dokument bland de fem första träffarna",
    "evidence_hit@5": "Beläggmeningen bland de fem första träffarna",
    "ndcg@10": "Hur högt rätt dokument rankas bland tio träffar",
    "citation_precision": "Andel källhänvisningar som pekar på belägg",
    "citation_recall": "Andel belägg som svaret hänvisar till",
    "answer_f1": "Ordöverlapp mellan svaret och facit",
    "refusal_accuracy": "Rätt val mellan att svara och att avstå",
    "key_fact_coverage": "Sammanfattningar: andel nyckeluppgifter som utkastet tar med",
    "summary_citation_precision": "Sammanfattningar: andel citerade meningar som står i källan",
    "unsupported_rate": "Sammanfattningar: andel meningar som togs bort (saknade stöd)",
    "latency_total_p50_ms": "Svarstid, median",
    "latency_total_p95_ms": "Svarstid, 95:e percentilen",
}
WHY = {
    "refused": "avstod fast dokumenten svarar",
    "answered but should refuse": "svarade fast det borde avstå",
    "evidence not retrieved": "belägget hittades inte",
    "citations off target": "källhänvisningarna pekar fel",
    "answer far from reference": "svaret ligger långt från facit",
    "key facts missing": "utkastet saknar hälften av nyckeluppgifterna",
}
PASSED = {True: "klarar", False: "under gränsen", None: "mäts inte"}


def show_run(run: EvalRun, thresholds: dict[str, float] | None) -> None:
    """One stored run: what it was, the gate, the metrics, failing cases and its report."""
    summary = run.summary
    mode = ui_text().answer_modes.get(run.mode, run.mode)
    if run.mode == "generative":
        mode += f" med {run.model}"
    st.markdown(
        markup.text(
            f"{run.suite} · {run.cases} frågor · {mode} · "
            f"{seconds(run.seconds)} s · {when(run.started_at)}"
        )
        + f"  \n**Grupper:** {markup.text(groups_label(run.groups))}"
    )
    judge = (
        f"Domarmodell: {run.judge}."
        if run.judge
        else "Ingen domarmodell (eval.judge): trohet och korrekthet mättes inte."
    )
    st.caption(markup.text(f"Körning {run.id}. {judge}"))
    _gate(summary, thresholds)
    st.subheader("Mått")
    st.dataframe(
        [
            {"Mått": name, "Värde": number(name, value), "Betyder": MEANING.get(name, "")}
            for name, value in ordered(summary)
        ],
        hide_index=True,
        width="stretch",
    )
    _failing(run)
    _report(run)


def _gate(summary: Summary, thresholds: dict[str, float] | None) -> None:
    st.subheader("Gränsvärden")
    if thresholds is None:
        return
    rows = gate_rows(summary, thresholds)
    below = [r for r in rows if r["passed"] is False]
    if below:
        names = ", ".join(
            f"{r['metric']} {number(r['metric'], r['value'])} "
            f"(minst {number(r['metric'], r['threshold'])})"
            for r in below
        )
        st.error(f"Under gränsvärdet: {markup.text(names)}", icon=":material/close:")
    else:
        st.success(f"Klarar alla {len(rows)} gränsvärden.", icon=":material/check:")
    st.dataframe(
        [
            {
                "Mått": r["metric"],
                "Värde": number(r["metric"], r["value"]),
                "Gräns (minst)": number(r["metric"], r["threshold"]),
                "Resultat": PASSED[r["passed"]],
            }
            for r in rows
        ],
        hide_index=True,
    )


def _failing(run: EvalRun) -> None:
    cases = failing_cases(run)
    st.subheader(f"Fall som inte klarade sig ({len(cases)} av {run.cases})")
    if not cases:
        st.caption("Alla fall klarade sig.")
    for case in cases:
        why = ", ".join(WHY.get(w, w) for w in case["why"])
        with st.expander(markup.text(f"{case['id']}: {case['question']} ({why})")):
            files = ", ".join(case["expected_files"])
            expected = case["expected"] or "(att assistenten avstår)"
            st.markdown(
                f"**Förväntat:** {markup.text(expected)}"
                + (f" ({markup.text(files)})" if files else "")
                + f"  \n**Fick:** {markup.text(case['got'])}"
            )


def _report(run: EvalRun) -> None:
    st.subheader("Rapport")
    folder = run.folder
    if folder is None or not (folder / "report.html").is_file():
        st.warning(markup.text(f"Rapporten saknas i {folder or 'körningens mapp'}."))
        return
    html, md = folder / "report.html", folder / "report.md"
    left, right = st.columns(2)
    left.download_button(
        "Ladda ned report.html",
        html.read_bytes(),
        file_name=f"{run.id}.html",
        mime="text/html",
        icon=":material/download:",
        key=f"eval-html-{run.id}",
    )
    if md.is_file():
        right.download_button(
            "Ladda ned report.md",
            md.read_bytes(),
            file_name=f"{run.id}.md",
            mime="text/markdown",
            icon=":material/download:",
            key=f"eval-md-{run.id}",
        )
    # The report escapes all document and answer text (evals/report.py), so it may be framed.
    st.iframe(html, height=720, alt=f"Utvärderingsrapport {run.id}")


def show_history(runs: list[EvalRun]) -> None:
    """Every stored run, newest first, with its groups and key metrics."""
    rows = [
        {
            "Startad": when(r["started_at"]),
            "Svit": r["suite"],
            "Läge": ui_text().answer_modes.get(r["mode"], r["mode"]),
            "Grupper": ", ".join(r["groups"]) or "inga",
            "Modell": r["model"],
            "Frågor": r["cases"],
            **{name: r[name] for name in KEY_METRICS},
            "Körning": r["id"],
        }
        for r in history_rows(runs)
    ]
    formats = {
        name: st.column_config.NumberColumn(
            name, format="%d ms" if name.endswith("_ms") else "%.3f", help=MEANING.get(name)
        )
        for name in KEY_METRICS
    }
    st.dataframe(rows, hide_index=True, column_config=formats)


def show_comparison(comparison: Comparison) -> None:
    """``runner.compare``: metric deltas, then the cases that got better or worse."""
    st.dataframe(
        [
            {
                "Mått": r["metric"],
                ui_text().run_a: number(r["metric"], r["a"]),
                ui_text().run_b: number(r["metric"], r["b"]),
                "Förändring": change(r["metric"], r["delta"]),
            }
            for r in delta_rows(comparison)
        ],
        hide_index=True,
    )
    better, worse = st.columns(2)
    with better:
        _moves("Blev bättre", comparison.improved)
    with worse:
        _moves("Blev sämre", comparison.regressed)


def _moves(title: str, cases: list[CaseMove]) -> None:
    st.markdown(f"**{title} ({len(cases)})**")
    if not cases:
        st.caption("Inga fall.")
        return
    lines = []
    for case in cases:
        changes = ", ".join(
            f"{c.metric} {number(c.metric, c.a)} → {number(c.metric, c.b)}" for c in case.changes
        )
        text = f"{case.id}: {case.question} ({changes})"
        lines.append(f"- {markup.text(text)}")
    st.markdown("\n".join(lines))


# -- figures in Swedish -----------------------------------------------------------------


def number(name: str, value: Any) -> str:
    if value is None:
        return "–"
    if name.endswith("_ms"):
        return f"{value:,.0f} ms".replace(",", " ")
    if isinstance(value, float):
        return f"{value:.3f}".replace(".", ",")
    return str(value)


def change(name: str, delta: float) -> str:
    if delta == 0:
        return "±0"
    return ("+" if delta > 0 else "−") + number(name, abs(delta))


def groups_label(groups: list[str]) -> str:
    return ", ".join(groups) or ui_text().no_groups


def when(stamp: str) -> str:
    """An ISO time stamp (UTC in run.json) in the server's local time, to the minute."""
    return clock.shown(stamp)


def seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")
