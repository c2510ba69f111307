"""The kind of fact a question asks for: read from questions, found in passages, and used by
retrieval to bring the passage that states it forward or to find no support."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from records import chunk_record

from assistant.models.embeddings import LocalE5Embedding
from assistant.query.contract import Passage
from assistant.query.extractive import best_sentences
from assistant.query.retrieve import Retriever
from assistant.settings import Settings, load_settings
from assistant.store import Hit
from assistant.store.edge import EdgeStore
from assistant.text.answer_type import AnswerKind, asked_kinds, states
from assistant.text.terms import TermMatcher
from ingest.sync import IngestJob

AMOUNT, SHARE, PERIOD, DATE, PERSON, LENGTH = (
    AnswerKind.AMOUNT,
    AnswerKind.SHARE,
    AnswerKind.PERIOD,
    AnswerKind.DATE,
    AnswerKind.PERSON,
    AnswerKind.LENGTH,
)


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Vad kostar det att parkera vid stadshuset?", {AMOUNT}),
        ("Hur stort månadsarvode får ordföranden?", {AMOUNT}),
        ("Hur hög sanktionsavgift kan tas ut?", {AMOUNT}),
        ("Vilket belopp bestämde domstolen?", {AMOUNT}),
        ("How much does the printed version cost?", {AMOUNT}),
        ("Hur stor andel av kostnaden betalar staten?", {SHARE}),
        ("Inom hur lång tid ska beslutet överklagas?", {PERIOD}),
        ("Hur ofta ska ventilationen besiktas?", {PERIOD}),
        ("Hur lång uppsägningstid har en tillsvidareanställd?", {PERIOD}),
        ("Hur många kronor är direktupphandlingsgränsen?", {AMOUNT}),
        ("Hur långt i förväg ska schemat meddelas?", {PERIOD}),
        ("How long does the applicant have to appeal?", {PERIOD}),
        ("Vilket datum trädde lagen i kraft?", {DATE}),
        ("Vilken dag i månaden betalas lönen ut?", set()),
        ("Vem utsågs till särskild utredare?", {PERSON}),
        ("Hur långt måste lösenordet vara och hur ofta ska det bytas?", {LENGTH, PERIOD}),
        # Topic words alone ask for nothing.
        ("Ansvarar bolaget för diskrimineringsersättning?", set()),
        ("Vad säger policyn om avgifter för parkering?", set()),
        ("Får personalen äta vid arbetsbänken?", set()),
        ("We sent a decision with an error in the amount. May we correct it?", set()),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kinds: set[AnswerKind]) -> None:
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    ("kind", "text", "stated"),
    [
        (AMOUNT, "Avgiften är 20 kronor per påbörjad timme.", True),
        (AMOUNT, "Ersättningen bestäms till 25 000 kr.", True),
        (AMOUNT, "Kostnaden beräknas till 15 miljoner kronor per år.", True),
        (AMOUNT, "Löneutrymmet är 3,4 procent av lönesumman.", True),
        (AMOUNT, "Ersättning betalas enligt fullmäktiges beslut.", False),
        (AMOUNT, "Enligt 5 kap. 3 § ska nämnden besluta.", False),
        (SHARE, "Stödet täcker högst 30 procent av kostnaden.", True),
        (SHARE, "Stödet täcker en del av kostnaden.", False),
        (PERIOD, "Överklagandet ska ha kommit in inom tre veckor.", True),
        (PERIOD, "Besiktning ska göras vart tredje år.", True),
        (PERIOD, "Varje kommun ska ha en plan.", False),
        (PERIOD, "Handlingen ska lämnas ut skyndsamt.", False),
        (DATE, "Lagen träder i kraft den 1 juli 2019.", True),
        (DATE, "Beslutet fattades 2018-05-24.", True),
        (DATE, "Lagen träder i kraft när regeringen bestämmer.", False),
        (PERSON, "Till särskild utredare utsågs Anna Lindqvist.", True),
        (PERSON, "Föredragande statsrådet Ask anför följande.", True),
        (PERSON, "regeringen beslutar att en särskild utredare ska tillkallas.", False),
        (LENGTH, "Lösenordet ska bestå av minst tolv tecken.", True),
        (LENGTH, "Lösenordet ska vara starkt.", False),
    ],
)
def test_whether_a_passage_states_that_kind(kind: AnswerKind, text: str, stated: bool) -> None:
    assert states(kind, text) is stated


def test_the_extractive_answer_quotes_the_sentence_stating_the_asked_kind() -> None:
    passage = Passage.from_hit(
        Hit(
            "c",
            1.0,
            chunk_record(
                "d",
                "Den sökande får överklaga beslutet hos förvaltningsrätten. "
                "Ett överklagande av beslutet om bidrag ska ha kommit in inom tre veckor.",
                title="Bidrag",
            ),
        ),
        0.9,
    )
    question = "Inom hur lång tid ska den sökande överklaga beslutet om bidrag?"
    (first, *_) = best_sentences(question, [passage], TermMatcher(), limit=1)
    assert "inom tre veckor" in first.sentence


@pytest.fixture(scope="module")
def indexed(
    tmp_path_factory: pytest.TempPathFactory, embedder: LocalE5Embedding
) -> Iterator[tuple[Settings, EdgeStore]]:
    """A parking rule whose fee is in its last section, after more general text than its card
    quotes, and a rule on
    elected members' pay that names no amount anywhere."""
    root = tmp_path_factory.mktemp("kinds")
    docs = root / "docs"
    docs.mkdir()
    (docs / "parkering.md").write_text(
        "# Parkering på kommunens gatumark\n\n"
        "## Var man får parkera\n\nPå kommunens gatumark får man parkera på markerade "
        "platser. Parkering på gatumark i centrum är tillåten vardagar och helger. Bilen ska "
        "stå parallellt med trottoarkanten och får inte hindra in- och utfarter, "
        "övergångsställen eller busshållplatser. Vid snöröjning och gatusopning gäller de "
        "tillfälliga förbud som skyltas ut på platsen, och fordon som står kvar kan flyttas. "
        "Lastplatser får bara användas för av- och pålastning av gods.\n\n"
        "## Tillstånd\n\nBoende kan söka tillstånd för parkering på gatumark nära bostaden. "
        "Ansökan görs i kommunens e-tjänst och prövas av trafikenheten. Tillståndet gäller "
        "för ett bestämt fordon och ett bestämt område och ska synas i vindrutan. Den som "
        "har parkeringstillstånd för rörelsehindrade får parkera på de platser som är "
        "reserverade för sådana tillstånd, även i centrum.\n\n"
        "## Parkering i centrum\n\nI centrum får man parkera på gatumark på markerade "
        "platser, vid tidsbegränsad parkering som längst den tid som skyltas.\n\n"
        "## Felparkering\n\nDen som parkerar fel kan få en parkeringsanmärkning av "
        "kommunens parkeringsvakter. Den som anser att anmärkningen är felaktig kan bestrida "
        "den hos polisen. Fordon som hindrar trafiken eller räddningstjänsten flyttas.\n\n"
        "## Taxa\n\nEn påbörjad timme debiteras med 20 kronor i zon A och 10 kronor i zon B.\n"
    )
    (docs / "arvoden.md").write_text(
        "# Arvoden till förtroendevalda\n\n## Ordförande\n\nKommunstyrelsens ordförande "
        "har rätt till ett månadsarvode. Arvodets storlek beslutas av fullmäktige.\n\n"
        "## Sammanträden\n\nLedamöter får arvode för sammanträden som de deltar i.\n"
    )
    settings = load_settings(
        data_dir=root / "data",
        # Support by similarity and words always holds here: only the asked kind decides.
        retrieval={
            "context_passages": 1,
            "min_similarity": 0.0,
            "strong_similarity": 0.0,
            "min_term_coverage": 0.0,
        },
    )
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, embedder).run([docs])
        assert not report.failed, report.summary()
        yield settings, store
    finally:
        store.close()


def _retriever(settings: Settings, store: EdgeStore, answer_kinds: bool) -> Retriever:
    tuned = settings.retrieval.model_copy(update={"answer_kinds": answer_kinds})
    return Retriever(store, LocalE5Embedding(model_name="e5"), tuned)


def test_the_passage_stating_the_asked_amount_comes_second(
    indexed: tuple[Settings, EdgeStore],
) -> None:
    settings, store = indexed
    question = "Vad kostar det att parkera på gatumark i centrum?"
    plain = _retriever(settings, store, answer_kinds=False).retrieve(question, [])
    assert plain.passages[0].file == "parkering.md"
    # The general text ranks first, the fee lower than second.
    assert not any(states(AMOUNT, p.text) for p in plain.passages[:2])

    kinds = _retriever(settings, store, answer_kinds=True).retrieve(question, [])
    assert kinds.supported
    assert [p.chunk_id for p in kinds.passages[:1]] == [plain.passages[0].chunk_id]
    assert "20 kronor" in kinds.passages[1].text  # brought forward
    assert len({p.chunk_id for p in kinds.passages}) == len(kinds.passages)


def test_no_support_when_the_documents_state_no_asked_amount(
    indexed: tuple[Settings, EdgeStore],
) -> None:
    settings, store = indexed
    question = "Hur stort månadsarvode ska kommunstyrelsens ordförande ha?"
    plain = _retriever(settings, store, answer_kinds=False).retrieve(question, [])
    assert plain.supported
    assert plain.passages[0].file == "arvoden.md"

    kinds = _retriever(settings, store, answer_kinds=True).retrieve(question, [])
    assert not kinds.supported
    # A question about the same rule that asks for no figure is still answered.
    about = _retriever(settings, store, answer_kinds=True).retrieve(
        "Har kommunstyrelsens ordförande rätt till månadsarvode?", []
    )
    assert about.supported
