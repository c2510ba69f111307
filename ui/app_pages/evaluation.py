"""Utvärdering: run a golden set through the app's own answer path, read the run's report,
and follow the history of runs. Runs happen in the app's process, with its runtime.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import streamlit as st

from assistant.errors import InputError
from assistant.identity import Identity
from assistant.query.contract import Mode
from assistant.runtime import Runtime
from assistant.settings import Settings
from evals.judge import build_judge
from evals.records import EvalRun
from evals.runner import compare, list_runs, load_run, load_thresholds, run_suite, save_run
from evals.views import KEY_METRICS, save_upload, suites
from ui import markup
from ui.auth import current_viewer, require
from ui.components import only_extractive
from ui.eval_views import (
    groups_label,
    seconds,
    show_comparison,
    show_history,
    show_run,
    when,
)
from ui.jobs import Progress, run_job
from ui.recording import record_action
from ui.state import EVAL_LOCK, app_runtime, app_settings
from ui.text import ui_text

UPLOADS = "uploads"  # DATA_DIR/evals/uploads: golden sets uploaded on this page


def main() -> None:
    settings = app_settings()
    viewer = current_viewer(settings)
    require(viewer, "admin")
    runtime = app_runtime(settings)
    st.title(ui_text().pages["evaluation"])
    st.caption(
        "Kör en testsvit (frågor med facit) genom samma svarsväg som sidan Fråga och se hur "
        "sökning, källhänvisningar och svar håller. Svaren bygger bara på dokument som de "
        "valda grupperna får läsa."
    )
    _new_run(settings, runtime, viewer)
    runs = list_runs(settings.evals_dir, viewer.groups)  # only runs the viewer may see
    st.header("Resultat", divider="gray")
    if not runs:
        st.caption("Ingen utvärdering har körts ännu.")
        return
    _chosen_run(settings, runs)
    st.header("Historik", divider="gray")
    show_history(runs)
    _comparison(settings.evals_dir, runs)


# -- a new run -------------------------------------------------------------------------


def _new_run(settings: Settings, runtime: Runtime, viewer: Identity) -> None:
    st.header("Kör en utvärdering", divider="gray")
    uploads = settings.evals_dir / UPLOADS
    offered = suites(settings.eval.suites_dir, uploads)
    if st.session_state.get("eval_suite") not in offered:
        st.session_state.pop("eval_suite", None)  # e.g. a file removed since
    if not offered:
        st.info(
            markup.text(f"Det finns inga testsviter i {settings.eval.suites_dir}. ")
            + "Ladda upp en JSONL-fil nedan.",
            icon=":material/info:",
        )
    left, middle, right = st.columns(3, gap="medium")
    suite: Path | None = left.selectbox(
        "Testsvit",
        offered,
        format_func=lambda p: p.name + (" (uppladdad)" if p.parent == uploads else ""),
        key="eval_suite",
        placeholder="Ingen testsvit ännu",
        disabled=not offered,
    )
    groups = middle.multiselect(
        "Kör som grupperna",
        viewer.groups,  # never more than the viewer's own groups
        default=viewer.groups,
        placeholder="Inga (bara öppna dokument)",
        help="Varje fråga ställs som en läsare med just dessa grupper; svar och rapport "
        "innehåller bara det de får läsa.",
    )
    with right:
        mode = _mode(runtime)
    _upload(uploads)
    if settings.eval.judge is not None:
        st.caption(markup.text(f"Domarmodellen {settings.eval.judge.model} bedömer svaren."))
    if (
        st.button(
            "Kör utvärdering", type="primary", icon=":material/play_arrow:", disabled=not suite
        )
        and suite
    ):
        _evaluate(settings, runtime, suite, groups, mode)


def _upload(uploads: Path) -> None:
    with st.expander("Ladda upp en egen testsvit", icon=":material/upload:"):
        st.file_uploader(
            "JSONL, en fråga per rad, i samma format som evals/suites",
            type=["jsonl"],
            key="eval_upload",
            on_change=_keep_upload,
            args=(uploads,),
        )
    problem = st.session_state.pop("eval_upload_problem", None)
    if problem:
        st.error(f"Testsviten kunde inte användas: {markup.text(problem)}")


def _keep_upload(uploads: Path) -> None:
    file = st.session_state.get("eval_upload")
    if file is None or not current_viewer(app_settings()).may("admin"):
        return
    try:
        path = save_upload(file.name, file.getvalue(), uploads)
    except InputError as exc:
        st.session_state["eval_upload_problem"] = str(exc)
        return
    st.session_state["eval_suite"] = path


def _mode(runtime: Runtime) -> Mode:
    text = ui_text()
    modes = text.answer_modes
    if runtime.chat is None:
        only_extractive()
        why = runtime.model_problem or text.started_extractive
        st.caption(text.no_model.format(reason=markup.text(why)))
        return "extractive"
    choice = st.radio(
        text.answer_mode,
        list(modes),
        index=list(modes).index(runtime.settings.answer.mode),
        format_func=modes.__getitem__,
        horizontal=True,
    )
    return "generative" if choice == "generative" else "extractive"


def _evaluate(
    settings: Settings, runtime: Runtime, suite: Path, groups: list[str], mode: Mode
) -> None:
    viewer = current_viewer(settings)
    require(viewer, "admin")  # checked again where the action happens
    if not set(groups) <= set(viewer.groups):
        st.error("En utvärdering kan bara köras med dina egna grupper.")
        return

    def evaluate(progress: Progress) -> EvalRun:
        judge = build_judge(settings.eval)
        run = run_suite(suite, runtime, groups=groups, mode=mode, judge=judge, progress=progress)
        save_run(run, settings.evals_dir)
        return run

    run = run_job(
        EVAL_LOCK,
        evaluate,
        name="Utvärderingen",
        busy="En utvärdering pågår redan. Vänta tills den är klar.",
        unit="frågor",
    )
    if run is None:
        return
    metrics = {k: run.summary[k] for k in KEY_METRICS if run.summary.get(k) is not None}
    detail = {
        "run_id": run.id,
        "suite": run.suite,
        "split": run.split,
        "mode": run.mode,
        "groups": run.groups,
        "cases": run.cases,
        "metrics": metrics,
    }
    record_action(settings, viewer, "eval_run", detail)
    # Show the new run below, and compare it with the one before it.
    st.session_state["eval_view"] = st.session_state["eval_b"] = run.id
    earlier = [r.id for r in list_runs(settings.evals_dir, groups) if r.id != run.id]
    if earlier:
        st.session_state["eval_a"] = earlier[0]
    st.success(f"Klar: {run.cases} frågor på {seconds(run.seconds)} s. Resultatet står nedan.")


# -- stored runs -----------------------------------------------------------------------


def _label(runs: list[EvalRun]) -> dict[str, str]:
    labels = {
        r.id: f"{when(r.started_at)} · {r.suite} · {ui_text().answer_modes.get(r.mode, r.mode)} "
        f"· grupper: {groups_label(r.groups)}"
        for r in runs
    }
    # A selectbox tells its options apart by label: runs alike to the minute show their id.
    seen = Counter(labels.values())
    return {i: f"{label} · {i}" if seen[label] > 1 else label for i, label in labels.items()}


def _chosen_run(settings: Settings, runs: list[EvalRun]) -> None:
    labels = _label(runs)
    if st.session_state.get("eval_view") not in labels:
        st.session_state.pop("eval_view", None)
    run_id = st.selectbox(
        "Visa körning", list(labels), format_func=labels.__getitem__, key="eval_view"
    )
    chosen = next(r for r in runs if r.id == run_id)
    run = load_run(chosen.folder or chosen.id, settings.evals_dir)
    try:
        thresholds: dict[str, float] | None = load_thresholds(
            settings.eval.thresholds_file, run.suite
        )
    except InputError as exc:
        thresholds = None
        st.warning(f"Gränsvärdena kunde inte läsas: {markup.text(str(exc))}")
    show_run(run, thresholds)


def _comparison(evals_dir: Path, runs: list[EvalRun]) -> None:
    st.subheader("Jämför två körningar")
    if len(runs) < 2:
        st.caption("Jämförelsen blir tillgänglig när minst två körningar finns.")
        return
    labels = _label(runs)
    ids = list(labels)
    for key, default in (("eval_a", ids[1]), ("eval_b", ids[0])):  # the two newest at first
        if st.session_state.get(key) not in labels:
            st.session_state[key] = default
    before, after = st.columns(2)
    a = before.selectbox(ui_text().run_a, ids, format_func=labels.__getitem__, key="eval_a")
    b = after.selectbox(ui_text().run_b, ids, format_func=labels.__getitem__, key="eval_b")
    if a == b:
        st.caption("Välj två olika körningar.")
        return
    run_a, run_b = load_run(a, evals_dir), load_run(b, evals_dir)
    if run_a.suite != run_b.suite:
        st.warning("Körningarna gäller olika testsviter; bara gemensamma fall jämförs.")
    if run_a.groups != run_b.groups:
        st.info("Körningarna gjordes med olika grupper.", icon=":material/group:")
    show_comparison(compare(run_a, run_b))


main()
