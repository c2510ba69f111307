"""An answer on screen: its text with linked citation markers, the citation cards, the
no-support state with the closest documents, notices, removed sentences and who answered.

Generative and extractive answers render the same way: both are a checked ``Answer``.
"""

from __future__ import annotations

import streamlit as st

from assistant.models.endpoints import display_url
from assistant.query.contract import Answer, Source, Sources, where
from assistant.runtime import Runtime
from assistant.settings import AnswerSettings, ModelSettings
from ui import markup
from ui.accessibility import lang_key
from ui.source_viewer import source_viewer
from ui.state import remember, remembered
from ui.text import ui_text

# Under a source whose passage held text that read like instructions to a model.
LEFT_OUT = "Innehåller instruktionsliknande text som har utelämnats."


def render_answer(answer: Answer, key: str, endpoint: str) -> None:
    """Everything about one answer; ``key`` makes its widgets and anchors unique."""
    if answer.notice:
        st.warning(markup.text(answer.notice), icon=":material/warning:")
    if answer.validity_notice:
        st.warning(markup.text(answer.validity_notice), icon=":material/history:")
    if answer.refused:
        _no_support(answer)
    else:
        cited = {c.n: link_name(c) for c in answer.citations}
        shown = markup.answer_text(answer.answer, key, cited)
        if answer.form == "quoted":
            shown = markup.lead_quote(shown)
        # Read in the answer's language (an English answer with English pronunciation).
        with st.container(key=lang_key(answer.lang, f"answer-{key}")):
            st.markdown(shown, unsafe_allow_html=True)
        if answer.citations:
            st.markdown("**Källor**")
        passages = {r.chunk_id: r.quote for r in answer.retrieved}
        for source in answer.citations:
            citation_card(source, passages.get(source.chunk_id, source.quote), key)
    if answer.unsupported:
        with st.expander(ui_text().removed_unsupported):
            for sentence in answer.unsupported:
                st.markdown(f"- {markup.text(sentence)}")
    st.caption(_answered_by(answer, endpoint))


def link_name(source: Source) -> str:
    """What a citation marker's link says it leads to: "Källa 1: Resepolicy, sida 2"."""
    page = f", sida {source.page}" if source.page else ""
    return f"Källa {source.n}: {source.title or source.file}{page}"


def citation_card(source: Source, passage: str, key: str) -> None:
    """Number, document, page, heading, the quoted passage and its source viewer."""
    with st.container(border=True):
        st.markdown(
            f"**[{source.n}] {markup.text(source.title or source.file)}**{_badge(source)}"
            f'<span id="{markup.anchor(key, source.n)}"></span>',
            unsafe_allow_html=True,
        )
        st.caption(markup.text(_where(source)))
        st.markdown("> " + markup.text(" ".join(source.quote.split())))
        # Drawn only while open: the viewer reads the original file and checks its hash.
        viewer = st.expander(
            "Visa källan",
            icon=":material/description:",
            key=viewer_key(key, source.n),
            on_change="rerun",
        )
        with viewer:
            if viewer.open:
                source_viewer(source, passage, f"{key}-{source.n}")


def viewer_key(key: str, n: int) -> str:
    """The session-state key of citation ``n``'s source viewer (True while it is open)."""
    return f"visa-kallan-{key}-{n}"


def found_sources(sources: Sources) -> None:
    """The passages the answer is being written from, shown before the model's first word
    (the answer streams in above them; the checked answer replaces both)."""
    if not sources.supported or not sources.passages:
        return
    st.markdown("**Källor som svaret bygger på**")
    for source in sources.passages:
        with st.container(border=True):
            st.markdown(
                f"**[{source.n}] {markup.text(source.title or source.file)}**{_badge(source)}"
            )
            st.caption(markup.text(_where(source)))
            quote = " ".join(source.quote.split())
            st.markdown("> " + markup.text(quote[:300] + (" …" if len(quote) > 300 else "")))


def _no_support(answer: Answer) -> None:
    st.info(markup.text(answer.answer), icon=":material/search_off:")
    if not answer.retrieved:
        return
    st.markdown("**Närmaste dokument** (svarar inte på frågan, men ligger närmast):")
    nearest = {s.doc_id: s for s in reversed(answer.retrieved)}  # the best passage of each
    lines = [
        f"- {markup.text(s.title or s.file)}: {markup.text(_where(s))}{_badge(s)}"
        for s in sorted(nearest.values(), key=lambda s: s.n)
    ]
    st.markdown("\n".join(lines))


def _badge(source: Source) -> str:
    if source.superseded:
        return " :orange-badge[Upphävd eller ersatt]"
    return " :orange-badge[Giltighetstiden har gått ut]" if source.expired else ""


def _where(source: Source) -> str:
    return where(source.file, [source.page], source.heading, sep=" · ")


def _answered_by(answer: Answer, endpoint: str) -> str:
    seconds = answer.timings_ms.get("total", 0.0) / 1000
    if answer.refused:
        who = "Sökt i dokumenten"
    elif answer.form == "quoted":
        who = "Citerat ur dokumenten: meningarna står ordagrant i källorna"
    else:
        who = f"Skrivet av {answer.model} ({endpoint}), kontrollerat mot källorna"
    took = f"{seconds:.1f}".replace(".", ",")
    return markup.text(f"{who} · {took} s")


def mode_choice(answer: AnswerSettings, runtime: Runtime, *, help: str, quoted: str) -> None:
    """Generative or extractive, remembered across pages (``chosen_mode`` reads it).

    Without a chat model only extractive is offered, with the reason; ``quoted`` says
    what the viewer gets instead ("Svaren citerar dokumenten.").
    """
    text = ui_text()
    modes = text.answer_modes
    if runtime.chat is None:
        only_extractive()
        why = runtime.model_problem or text.started_extractive
        st.caption(f"{text.no_model.format(reason=markup.text(why))} {quoted}")
        return
    st.radio(
        text.answer_mode,
        list(modes),
        format_func=modes.__getitem__,
        key=remembered("mode", answer.mode),
        on_change=remember,
        args=("mode",),
        horizontal=True,
        help=help,
    )


def only_extractive() -> None:
    """The answer mode when there is no choice: said as text (a disabled choice would be
    grey text a keyboard cannot reach)."""
    text = ui_text()
    st.markdown(f"**{text.answer_mode}:** {text.answer_modes['extractive']}")


def endpoint_label(model: ModelSettings) -> str:
    """Where the chat model is, in words an admin recognises."""
    if model.provider == "local":
        return f"lokal modell {model.local_model} på 127.0.0.1:{model.local_port}"
    return f"{model.provider}: {model.model} på {display_url(model.base_url or '')}"
