"""The report an admin reads: HTML (self-contained, charts as inline SVG) and Markdown.

Aggregate table, metrics per case type and language, latency distribution, comparison
with the previous run of the same suite, and every failing case with its question, the
expected and given answers and the passages retrieved (with the run's access groups, so
the report shows nothing those groups may not read).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from assistant.query.contract import where
from evals.records import CaseResult, EvalRun, Summary

KEY_METRICS = (
    "doc_hit@5",
    "evidence_hit@5",
    "ndcg@10",
    "citation_precision",
    "citation_recall",
    "key_fact_correct",
    "answer_f1",
    "refusal_accuracy",
    "refusal_precision",
    "refusal_recall",
    "key_fact_coverage",
    "summary_citation_precision",
    "unsupported_rate",
)
_COLORS = ("#1f6feb", "#e3b341", "#2da44e", "#cf222e", "#8250df", "#6e7781")


def failing(result: CaseResult) -> list[str]:
    """Why a case counts as failing (empty: it passed)."""
    why = []
    if not result.refusal_right:
        why.append("refused" if result.refused else "answered but should refuse")
    m = result.metrics
    if m.get("evidence_hit@5") == 0:
        why.append("evidence not retrieved")
    if m.get("citation_precision", 1) < 0.5:
        why.append("citations off target")
    if not result.refused and m.get("answer_f1", 1) < 0.2:
        why.append("answer far from reference")
    if not result.refused and m.get("key_fact_correct", 1) == 0:
        why.append("asked fact not stated")
    if not result.refused and m.get("key_fact_coverage", 1) < 0.5:
        why.append("key facts missing")
    return why


def write_reports(run: EvalRun, previous: EvalRun | None, folder: Path) -> None:
    (folder / "report.html").write_text(html_report(run, previous), encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(run, previous), encoding="utf-8")


def _interval(run: EvalRun, name: str) -> str:
    """The 95 % bootstrap interval of a figure, "[0.812, 0.931]", or "" when it has none."""
    low_high = run.intervals.get(name)
    return f"[{low_high[0]:.3f}, {low_high[1]:.3f}]" if low_high else ""


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


# -- Markdown ---------------------------------------------------------------------------


def markdown_report(run: EvalRun, previous: EvalRun | None) -> str:
    s = run.summary
    lines = [
        f"# Evaluation {run.id}",
        "",
        f"Suite **{run.suite}** ({run.cases} cases), mode **{run.mode}**, model "
        f"{run.model}, groups {', '.join(run.groups) or '(none: public documents only)'}, "
        f"{run.seconds} s. {run.judge_note or 'Judge: ' + str(run.judge)}"
        + (f" Part of the suite: **{run.split}**." if run.split else ""),
        "",
        "| metric | value | 95 % interval |" + (" previous |" if previous else ""),
        "|---|---|---|" + ("---|" if previous else ""),
    ]
    for name, value in s.items():
        row = f"| {name} | {_fmt(value)} | {_interval(run, name)} |"
        if previous:
            row += f" {_fmt(previous.summary.get(name))} |"
        lines.append(row)
    for title, groups in (("case type", run.by_type), ("language", run.by_lang)):
        lines += ["", f"## By {title}", "", "| | cases | " + " | ".join(KEY_METRICS) + " |"]
        lines.append("|---" * (len(KEY_METRICS) + 2) + "|")
        for name, agg in groups.items():
            values = " | ".join(_fmt(agg.get(m)) for m in KEY_METRICS)
            lines.append(f"| {name} | {agg['cases']} | {values} |")
    bad = [(r, failing(r)) for r in run.results]
    bad = [(r, why) for r, why in bad if why]
    lines += ["", f"## Failing cases ({len(bad)})", ""]
    for r, why in bad:
        lines += [
            f"### {r.id}: {r.question}",
            f"- why: {', '.join(why)}",
            f"- expected: {r.expected or '(refusal)'} ({', '.join(r.expected_files)})",
            f"- got: {r.got}",
            "- retrieved: "
            + "; ".join(
                f"[{p.n}] {where(p.file, [p.page], sep=' ', page_word='p.')}"
                for p in r.retrieved[:5]
            ),
            "",
        ]
    return "\n".join(lines) + "\n"


# -- HTML -------------------------------------------------------------------------------


def _bars(title: str, series: dict[str, Summary], metrics: tuple[str, ...]) -> str:
    """Grouped horizontal bars: one group per metric, one bar per series, values 0–1."""
    names = list(series)
    row_h, bar_h, label_w, width = 12 * len(names) + 14, 11, 150, 520
    height = 30 + row_h * len(metrics) + 18 * len(names)
    parts = [
        f'<svg width="{width + label_w + 60}" height="{height}" role="img" aria-label="{escape(title)}">'
    ]
    parts.append(f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>')
    for i, metric in enumerate(metrics):
        y0 = 26 + i * row_h
        parts.append(f'<text x="0" y="{y0 + bar_h}" font-size="12">{escape(metric)}</text>')
        for j, name in enumerate(names):
            value = series[name].get(metric)
            y = y0 + j * 12
            w = 0 if value is None else max(1, int(width * float(value)))
            color = _COLORS[j % len(_COLORS)]
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h - 1}" fill="{color}"/>'
                f'<text x="{label_w + w + 4}" y="{y + bar_h - 2}" font-size="10">{_fmt(value)}</text>'
            )
    legend_y = 30 + row_h * len(metrics)
    for j, name in enumerate(names):
        color = _COLORS[j % len(_COLORS)]
        parts.append(
            f'<rect x="{label_w}" y="{legend_y + 18 * j}" width="10" height="10" fill="{color}"/>'
            f'<text x="{label_w + 14}" y="{legend_y + 18 * j + 9}" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values_ms: list[float], title: str) -> str:
    if not values_ms:
        return ""
    seconds = [v / 1000 for v in values_ms]
    top = max(seconds) or 1.0
    bins = 12
    counts = [0] * bins
    for v in seconds:
        counts[min(bins - 1, int(v / top * bins))] += 1
    most = max(counts)
    parts = [f'<svg width="560" height="170" role="img" aria-label="{escape(title)}">']
    parts.append(f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>')
    for i, c in enumerate(counts):
        h = int(120 * c / most) if most else 0
        parts.append(
            f'<rect x="{20 + i * 44}" y="{140 - h}" width="40" height="{h}" fill="#1f6feb"/>'
            f'<text x="{22 + i * 44}" y="{136 - h}" font-size="10">{c or ""}</text>'
            f'<text x="{20 + i * 44}" y="156" font-size="9">{top * i / bins:.1f}s</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def html_report(run: EvalRun, previous: EvalRun | None) -> str:
    s = run.summary
    head = (
        f"Suite <b>{escape(run.suite)}</b> ({run.cases} cases), mode <b>{escape(run.mode)}</b>, "
        f"model {escape(run.model)}, groups "
        f"{escape(', '.join(run.groups) or '(none: public documents only)')}, {run.seconds} s, "
        f"{escape(run.started_at)}. {escape(run.judge_note or 'Judge: ' + str(run.judge))}"
    )
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{_fmt(v)}</td><td>{_interval(run, k)}</td>"
        + (f"<td>{_fmt(previous.summary.get(k))}</td>" if previous else "")
        + "</tr>"
        for k, v in s.items()
    )
    table = (
        "<table><tr><th>metric</th><th>this run</th><th>95 % interval</th>"
        + (f"<th>previous ({escape(previous.id)})</th>" if previous else "")
        + f"</tr>{rows}</table>"
    )
    charts = [
        _bars("Metrics by case type", run.by_type, KEY_METRICS),
        _bars("Metrics by language", run.by_lang, KEY_METRICS),
        _histogram(
            [r.timings_ms["total"] for r in run.results if "total" in r.timings_ms],
            "Answer time per case",
        ),
    ]
    if previous:
        charts.append(
            _bars(
                "Compared with the previous run",
                {f"previous {previous.id}": previous.summary, f"this {run.id}": s},
                KEY_METRICS,
            )
        )
    cases = []
    for r in run.results:
        why = failing(r)
        if not why:
            continue
        retrieved = "".join(
            f"<li><b>[{p.n}] {where(escape(p.file), [p.page], sep=' ')}"
            f"</b> {escape(p.heading or '')}<br><small>{escape(p.text[:400])}</small></li>"
            for p in r.retrieved[:5]
        )
        cases.append(
            f"<details><summary><b>{escape(r.id)}</b> ({escape(r.type)}, {escape(r.lang)}): "
            f"{escape(r.question)} — <i>{escape(', '.join(why))}</i></summary>"
            f"<p><b>Expected:</b> {escape(r.expected or '(refusal)')} "
            f"<small>({escape(', '.join(r.expected_files))})</small></p>"
            f"<p><b>Got:</b> {escape(r.got)}</p>"
            f"<p><b>Metrics:</b> {escape(', '.join(f'{k} {v:.2f}' for k, v in r.metrics.items()))}</p>"
            f"<ol>{retrieved}</ol></details>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
        "details{margin:.5em 0;padding:.3em;border:1px solid #ddd}svg{display:block;margin:1em 0}"
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Evaluation "
        f"{escape(run.id)}</title><style>{style}</style></head><body>"
        f"<h1>Evaluation {escape(run.id)}</h1><p>{head}</p>{table}{''.join(charts)}"
        f"<h2>Failing cases ({len(cases)})</h2>{''.join(cases) or '<p>None.</p>'}</body></html>"
    )
