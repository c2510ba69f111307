"""What a sentence names, so a claim can be held to a passage that names the same things.

A sentence names bodies and roles ("byggnadsnämnden", "kommunstyrelsen", "Skatteverket",
"förvaltningschefen", "the committee"), proper names (capitalised words not opening the
sentence: "Arbetsförmedlingen", "Stefan Lindskog"), designations ("SFS 2017:725",
"kommunallagen": ``assistant.text.designations``), section references ("4 kap.", "2 §",
"section 9") and dates ("31 mars 2019", "2018-06-18", "June 2019"). ``named`` reads them
from a claim; ``Stated`` reads a passage once and says which of a claim's names it does
not state. Inflection does not count: "nämndens", "nämnden" and "nämnder" name the same
body, "Boverkets" and "Boverket" the same agency, "2018-06-18" and "18 juni 2018" the
same day. A bare head ("nämnden", "the board") is met by any body of that kind in the
passage ("byggnadsnämnden"); a compound ("kommunstyrelsen") only by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from assistant.text.designations import ENGLISH_NAMES, SHORT_NAMES
from assistant.text.designations import designations as _designations
from assistant.text.sentences import numbers

# Bodies and roles by their head word, with the head's Swedish forms (a genitive -s is
# taken off before these are looked up: "nämndens" -> "nämnden").
_HEADS = {
    "nämnd": ("nämnd", "nämnden", "nämnder", "nämnderna"),
    "styrelse": ("styrelse", "styrelsen", "styrelser", "styrelserna"),
    "fullmäktige": ("fullmäktige",),
    "myndighet": ("myndighet", "myndigheten", "myndigheter", "myndigheterna"),
    "inspektion": ("inspektionen", "inspektionerna"),
    "kontor": ("kontoret", "kontoren"),
    "förvaltning": ("förvaltningen", "förvaltningarna"),
    "råd": ("rådet", "råden"),
    "domstol": ("domstol", "domstolen", "domstolar", "domstolarna"),
    "rätt": ("rätt", "rätten"),
    "verk": ("verket", "verken"),
    "utskott": ("utskott", "utskottet"),
    "kommun": ("kommun", "kommunen", "kommuner", "kommunerna"),
    "region": ("region", "regionen", "regioner", "regionerna"),
    "landsting": ("landstinget", "landstingen"),
    "regering": ("regeringen",),
    "riksdag": ("riksdagen",),
    "chef": ("chef", "chefen", "chefer", "cheferna"),
    "ordförande": ("ordförande", "ordföranden"),
    "rektor": ("rektor", "rektorn", "rektorer", "rektorerna"),
    "huvudman": ("huvudman", "huvudmannen", "huvudmän", "huvudmännen"),
    "ombudsman": ("ombudsmannen",),
}
# A passage may also name an agency in the indefinite ("Statens skolverk", "Statens
# skolinspektion"); a claim's "livsmedelsinspektion" is more often an inspection.
_PASSAGE_HEADS = {"verk": ("verk",), "inspektion": ("inspektion",), "kontor": ("kontor",)}


def _sorted(heads: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return sorted(((f, h) for h, forms in heads.items() for f in forms), key=lambda fh: -len(fh[0]))


_FORMS = _sorted(_HEADS)
_LENIENT_FORMS = _sorted({h: forms + _PASSAGE_HEADS.get(h, ()) for h, forms in _HEADS.items()})
# Heads that name a body only in a compound or a capitalised name ("lönekontoret",
# "Lagrådet"); alone they are ordinary words ("rådet" is also "the advice").
_COMPOUND_ONLY = frozenset({"inspektion", "kontor", "råd"})
# Where a compound is not a body: "omnämnd", "området", "samrådet", "omyndighet",
# "regelverket"; and the courts among the words ending in "-rätt".
_NOT_BODIES = {
    "nämnd": ("om", "be", "ovan", "nyss", "förut", "först", "sist"),
    "råd": ("om", "för", "sam"),
    "myndighet": ("o",),
    "verk": ("regel", "nät", "hant", "konst", "ram", "kraft", "renings", "vatten", "ur", "fyr"),
}
_COURTS = frozenset({"tings", "hov", "kammar", "förvaltnings", "migrations"})
# Agencies are named by a capitalised "-verket" ("Boverket", "Skatteverket").
_CAPITALISED_ONLY = frozenset({"verk"})
# A generic word for an authority is met by any body the passage names.
_GENERIC = frozenset({"myndighet"})
_PEOPLE = frozenset({"chef", "ordförande", "rektor", "huvudman", "ombudsman"})

# English bodies, and the Swedish heads that meet them in a Swedish passage.
_ENGLISH = {
    "board": ("styrelse", "nämnd"),
    "committee": ("nämnd", "utskott"),
    "council": ("fullmäktige", "råd"),
    "agency": ("verk", "myndighet"),
    "government": ("regering",),
    "parliament": ("riksdag",),
    "court": ("domstol", "rätt"),
    "inspectorate": ("inspektion",),
    "municipality": ("kommun",),
    "ombudsman": ("ombudsman",),
}
_ENGLISH_FORMS = {
    "boards": "board",
    "committees": "committee",
    "councils": "council",
    "agencies": "agency",
    "governments": "government",
    "courts": "court",
    "inspectorates": "inspectorate",
    "municipalities": "municipality",
    "ombudsmen": "ombudsman",
} | {head: head for head in _ENGLISH}

# Words: letters, joined by hyphens, apostrophes or colons ("IT-policy", "Boverket's",
# "SFS:s").
_WORD = re.compile(r"[^\W\d_]+(?:[-'’:][^\W\d_]+)*")
# Words a claim may capitalise without naming anything.
_NOT_NAMES = frozenset(
    "i ja nej yes no mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday "
    "january february march april may june july august september october november december "
    "swedish english act acts ordinance article section chapter paragraph regulation "
    "regulations directive ab sek kr eur usd pdf".split()
)
# Short names of bodies, met by the body written out, and the other way round.
_SHORT_FOR = {
    "hd": "Högsta domstolen",
    "hfd": "Högsta förvaltningsdomstolen",
    "ad": "Arbetsdomstolen",
    "kf": "kommunfullmäktige",
    "ks": "kommunstyrelsen",
    "eu": "Europeiska unionen",
    "jo": "Justitieombudsmannen",
    "do": "Diskrimineringsombudsmannen",
    "ivo": "Inspektionen för vård och omsorg",
    "skr": "Sveriges Kommuner och Regioner",
    "msb": "Myndigheten för samhällsskydd och beredskap",
}
# The words of a body's full name that must all stand in a passage to name it.
_SHORT_WORDS = {
    short: {w.lower() for w in re.findall(r"\w+", full) if w.lower() not in ("och", "för")}
    for short, full in _SHORT_FOR.items()
}
_ROMAN = re.compile(r"^[IVXLC]+$")
# Designations are checked as designations: their series and short names are no names.
_DESIGNATION_TOKENS = re.compile(
    r"\b\w*FS\b|\b(?:Prop|Dir|Ds|SOU|NJA|AD|Government\s+Bill|Bill)\b\.?(?=\s*\d)"
    r"|\b(?:" + "|".join(k.upper() for k in SHORT_NAMES) + r"|SkolL|SoL)\b"
)
_LAW_NAMES = re.compile(
    r"\b(?:the\s+)?(?:" + "|".join(re.escape(n) for n in ENGLISH_NAMES) + r")(?:\s+act)?\b",
    re.I,
)
_BARE_SFS = re.compile(r"(?:\(|\bSFS\s*)(\d{4})\s*:\s*(\d{1,4})\b", re.I)

# Section references: "5 kap.", "3 a §", "3 och 4 §§", "2–4 §§", "§ 98", "section 9",
# "chapter 13", "13 ch.".
_NUM = r"\d{1,3}(?:\s?[a-z]\b)?"
_SECTIONS = re.compile(
    rf"(?<![\d-])((?:{_NUM}\s*(?:,|och|and|[-–]|till|to)\s*)*{_NUM})\s*§§?"
    rf"|§\s*({_NUM})|\bsections?\s+((?:{_NUM}\s*(?:,|and|[-–]|to)\s*)*{_NUM})",
    re.I,
)
_CHAPTERS = re.compile(
    r"\b(\d{1,2})\s?(?:[a-z]\s)?\s*(?:kap(?:\.|\b|itlet)|ch\.)|\bchapter\s+(\d{1,2})\b", re.I
)

_MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb"),
            ("mars", "march", "mar"),
            ("april", "apr"),
            ("maj", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("augusti", "august", "aug"),
            ("september", "sept", "sep"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATES = re.compile(
    r"\b(\d{4})-(\d{2})-(\d{2})\b"  # 2018-06-18
    rf"|\b(\d{{1,2}})(?:st|nd|rd|th|:a|:e)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?\b"
    rf"|\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b(?!\s*§)"
    rf"|\b{_MONTH}\s+(\d{{4}})\b",
    re.I,
)

Date = tuple[int | None, int, int | None]  # year, month, day


@dataclass(frozen=True)
class Named:
    """What a text names, each in its canonical form."""

    bodies: frozenset[str] = frozenset()  # "byggnadsnämnd", "nämnd", "en:board"
    names: frozenset[str] = frozenset()  # "arbetsförmedlingen", "lindskog"
    designations: frozenset[str] = frozenset()  # "sfs 2017:725", "kl"
    sections: frozenset[str] = frozenset()  # "4 kap.", "2 §"
    dates: frozenset[Date] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.bodies or self.names or self.designations or self.sections or self.dates)


def named(text: str) -> Named:
    """What a claim names: its bodies, proper names, designations, sections and dates."""
    plain = _LAW_NAMES.sub(" ", _DESIGNATION_TOKENS.sub(" ", text))
    bodies = set()
    for word in _WORD.findall(plain):
        for part in word.split("-"):
            if key := body(part):
                bodies.add(key)
    return Named(
        bodies=frozenset(bodies),
        names=frozenset(proper_names(plain)),
        designations=frozenset(_designations(text)),
        sections=frozenset(sections(text)),
        dates=frozenset(dates(text)),
    )


class Stated:
    """What a passage states, to look a claim's names up in; each kind is read from the
    text the first time a claim names one."""

    def __init__(self, text: str, designations: Iterable[str] = ()) -> None:
        """``designations``: what the passage's document is called by, besides its text."""
        self._text = text
        self._own = frozenset(designations)

    @cached_property
    def _words_and_bodies(self) -> tuple[set[str], set[str]]:
        words: set[str] = set()
        bodies: set[str] = set()
        _read(self._text, words, bodies)
        for short, full in _SHORT_FOR.items():
            if short in words:
                _read(full, words, bodies)  # "HD" states "Högsta domstolen"
            elif _SHORT_WORDS[short] <= words:
                words.add(short)
        return words, bodies

    @cached_property
    def _heads(self) -> set[str]:
        return {_head(b) for b in self._words_and_bodies[1]}

    @cached_property
    def _designations(self) -> set[str]:
        found = set(self._own) | _designations(self._text)
        return found | {f"sfs {y}:{int(n)}" for y, n in _BARE_SFS.findall(self._text)}

    @cached_property
    def _sections(self) -> set[str]:
        return sections(self._text)

    @cached_property
    def _dates(self) -> set[Date]:
        return dates(self._text)

    def missing(self, claim: Named) -> list[str]:
        """The claim's names this passage does not state."""
        gone = [b for b in sorted(claim.bodies) if not self._has_body(b)]
        if claim.names:
            words = self._words_and_bodies[0]
            gone += [n for n in sorted(claim.names) if not _forms(n) & words]
        if claim.designations:
            gone += sorted(claim.designations - self._designations)
        if claim.sections:
            gone += sorted(claim.sections - self._sections)
        gone += [_say(d) for d in sorted(claim.dates, key=str) if not self._has_date(d)]
        return gone

    def _has_body(self, key: str) -> bool:
        if key in self._words_and_bodies[1]:
            return True
        if key.startswith("en:"):  # an English body: a Swedish one of its kind meets it
            return bool(set(_ENGLISH[key[3:]]) & self._heads)
        head = _head(key)
        if head in _GENERIC and key == head:
            return bool(self._heads - _PEOPLE)
        return key == head and head in self._heads  # "nämnden": any nämnd

    def _has_date(self, date: Date) -> bool:
        year, month, day = date
        for y, m, d in self._dates:
            if m != month or (day is not None and d != day):
                continue
            if year is None or y == year or (y is None and str(year) in numbers(self._text)):
                return True
        return False


@lru_cache(maxsize=16384)
def body(word: str, *, strict: bool = True) -> str | None:
    """The body or role a word names, as its compound's base form ("byggnadsnämndens" ->
    "byggnadsnämnd"; "the boards" -> "en:board"), or None. ``strict`` (for claims) keeps
    to capitalised agency names for "-verket"; a passage is read leniently."""
    lower = word.lower().replace("’", "'").removesuffix("'s")
    if english := _ENGLISH_FORMS.get(lower):
        return f"en:{english}"
    for candidate in (lower, lower[:-1] if lower.endswith("s") else ""):
        for form, head in _FORMS if strict else _LENIENT_FORMS:
            if not candidate or not candidate.endswith(form):
                continue
            prefix = candidate[: -len(form)]
            if any(_ends(prefix, x) for x in _NOT_BODIES.get(head, ())):
                return None
            if head in _COMPOUND_ONLY and not prefix and not word[:1].isupper():
                return None
            if head in _CAPITALISED_ONLY and strict and not word[:1].isupper():
                return None
            if head == "rätt" and prefix not in _COURTS:
                return None
            return prefix + head
    return None


def proper_names(text: str) -> set[str]:
    """Capitalised words (and acronyms) that do not open the sentence or follow a colon or
    a full stop, lower case without a genitive ending."""
    found = set()
    opening = True
    for m in re.finditer(rf"{_WORD.pattern}|[:•]|[.!?](?=\s)", text):
        word = m.group(0)
        if word in ":•.!?":
            opening = True
            continue
        if not opening and word[:1].isupper():
            for part in word.split("-"):
                key = _base(part)
                if (
                    body(part) is None
                    and len(key) >= 2
                    and part[:1].isupper()
                    and key not in _NOT_NAMES
                    and not _ROMAN.match(part)
                ):
                    found.add(key)
        opening = False
    return found


def sections(text: str) -> set[str]:
    """The chapters and sections a text refers to: "4 kap.", "2 §", "3a §"."""
    found = {f"{a or b} kap." for a, b in _CHAPTERS.findall(text)}
    for m in _SECTIONS.finditer(text):
        listed = next(g for g in m.groups() if g)
        found |= {f"{n} §" for n in _listed(listed)}
    return found


def dates(text: str) -> set[Date]:
    """The dates a text states, as (year, month, day) with None where it says none."""
    found: set[Date] = set()
    for m in _DATES.finditer(text):
        g = m.groups()
        if g[0]:
            found.add((int(g[0]), int(g[1]), int(g[2])))
        elif g[3]:
            found.add((_year(g[5]), _MONTHS[g[4].lower()], int(g[3])))
        elif g[6]:
            if g[6].islower() and g[6].lower() == "may":
                continue  # "may" is a verb before a number too
            found.add((_year(g[8]), _MONTHS[g[6].lower()], int(g[7])))
        elif g[9]:
            found.add((int(g[10]), _MONTHS[g[9].lower()], None))
    return {d for d in found if 1 <= d[1] <= 12 and (d[2] is None or 1 <= d[2] <= 31)}


def _listed(listed: str) -> list[str]:
    """The numbers of "3 och 4", "2–4", "5, 6 a": ranges filled in."""
    out: list[str] = []
    parts = re.split(r"\s*(,|och|and|[-–]|till|to)\s*", listed.strip())
    for i in range(0, len(parts), 2):
        n = parts[i].replace(" ", "").lower()
        ranged = i >= 2 and parts[i - 1] in ("-", "–", "till", "to")
        if ranged and out and out[-1].isdigit() and n.isdigit():
            out += [str(k) for k in range(int(out[-1]) + 1, int(n))][:50]
        out.append(n)
    return out


def _ends(prefix: str, part: str) -> bool:
    """A one-letter part only as the whole prefix ("o" in "omyndighet")."""
    return prefix == part or (len(part) > 1 and prefix.endswith(part))


def _year(raw: str | None) -> int | None:
    return int(raw) if raw else None


def _read(text: str, words: set[str], bodies: set[str]) -> None:
    """Add the text's words (in every form a name is looked up by) and bodies."""
    for word in set(_WORD.findall(text)):
        for part in {word, *word.split("-")}:
            words |= _forms(part)
            if key := body(part, strict=False):
                bodies.add(key)


def _base(word: str) -> str:
    """Lower case, without an English or colon genitive ("Boverket's", "SFS:s")."""
    lower = word.lower()
    return lower[:-2] if lower[-2:] in ("'s", "’s", ":s") else lower


@lru_cache(maxsize=16384)
def _forms(word: str) -> frozenset[str]:
    """A name's forms for looking up: itself and without a Swedish genitive -s."""
    key = _base(word)
    return frozenset({key, key[:-1]} if key.endswith("s") and len(key) >= 4 else {key})


def _head(key: str) -> str:
    if key.startswith("en:"):
        return key
    return next((h for h in sorted(_HEADS, key=len, reverse=True) if key.endswith(h)), key)


def _say(date: Date) -> str:
    year, month, day = date
    return "-".join(str(p) for p in (year, month, day) if p is not None)
