"""Swedish document designations and section references, in one canonical form.

Staff name documents the way the documents name themselves: "SFS 2017:725", "BFS 1992:46",
"AFS 2011:19", "prop. 2012/13:144", "dir. 2009:71", "Ds 1998:10", "NJA 2014 s. 499",
"AD 2013 nr 63", "mål T 170-08", or a law's short name ("KL", "FL") or title word
("kommunallagen"); and parts of them as "5 kap. 3 §" or "22 §". The same functions read
them from a document at ingest and from a question, so they meet as equal strings:
``designations("Vad säger 5 kap. 3 § KL?")`` is ``{"kl"}`` and the kommunallag's record
carries ``kl`` and ``sfs 2017:725``.
"""

from __future__ import annotations

import re

# Författningssamlingar: SFS and every agency's "…FS" series (BFS, AFS, NFS, LIVSFS,
# VERVAFS, AFFS, SKOLFS, …).
_SERIES = re.compile(r"\b([A-ZÅÄÖ]{0,7}FS)\s*(\d{4})\s*:\s*(\d{1,4})\b", re.IGNORECASE)
# English forms too ("Government Bill 2012/13:144", "terms of reference Dir. 2009:71",
# "NJA 2014 p. 499", "AD 2013 no. 63"): staff ask in English about Swedish documents.
_PROP = re.compile(
    r"\b(?:prop(?:osition)?\.?|(?:government\s+)?bill)\s*(\d{4})\s*/\s*(\d{2,4})\s*:\s*(\d{1,4})\b",
    re.I,
)
_DIR = re.compile(
    r"\b(?:dir|kommittédirektiv|terms of reference)\.?\s*(?:dir\.?\s*)?(\d{4})\s*:\s*(\d{1,4})\b",
    re.I,
)
_DS_SOU = re.compile(r"\b(Ds|SOU)\s*(\d{4})\s*:\s*(\d{1,4})\b", re.I)
_NJA = re.compile(r"\bNJA\s*(\d{4})\s*[sp]\.?\s*(\d{1,4})\b", re.I)
_AD = re.compile(r"\bAD\s*(\d{4})\s*(?:nr|no)\.?\s*(\d{1,4})\b")
_CASE = re.compile(r"\b(?:mål(?:\s*nr)?\.?\s*)?([ÖBT])\s?-?\s?(\d{1,5})\s*-\s*(\d{2})\b")
# "Lag (2018:222)", "beteckning: 2017:725": an SFS number without its series name.
_BARE_SFS = re.compile(r"(?:\(|beteckning:\s*)(\d{4}):(\d{1,4})\b", re.I)

# Short names of laws municipal staff use, with the word their titles start with.
SHORT_NAMES = {
    "kl": "kommunallag",
    "fl": "förvaltningslag",
    "dl": "diskrimineringslag",
    "osl": "offentlighets- och sekretesslag",
    "lss": "lag om stöd och service till vissa funktionshindrade",
    "sol": "socialtjänstlag",
    "pbl": "plan- och bygglag",
    "aml": "arbetsmiljölag",
    "las": "lag om anställningsskydd",
    "mbl": "lag om medbestämmande i arbetslivet",
    "lou": "lag om offentlig upphandling",
    "tf": "tryckfrihetsförordning",
    "skoll": "skollag",
    "dos": "lag om tillgänglighet till digital offentlig service",
    "bab": "lag om bostadsanpassningsbidrag",
}
_SHORT = re.compile(r"\b(" + "|".join(k.upper() for k in SHORT_NAMES) + r"|SkolL|SoL)\b")
# A one-word title names its law in running text too ("enligt kommunallagen").
_TITLE_WORD = {title: short for short, title in SHORT_NAMES.items() if " " not in title}
# A longer title names it where it stands whole ("lagen om offentlig upphandling").
_TITLE_PHRASE = {title: short for short, title in SHORT_NAMES.items() if " " in title}
# The laws' English names, as the Government Offices translate them.
ENGLISH_NAMES = {
    "local government act": "kl",
    "administrative procedure act": "fl",
    "discrimination act": "dl",
    "public access to information and secrecy act": "osl",
    "support and service for persons with certain functional impairments": "lss",
    "social services act": "sol",
    "planning and building act": "pbl",
    "work environment act": "aml",
    "employment protection act": "las",
    "co-determination in the workplace": "mbl",
    "public procurement act": "lou",
    "freedom of the press act": "tf",
    "education act": "skoll",
    "accessibility to digital public services": "dos",
    "housing adaptation grants act": "bab",
    "act on housing adaptation grants": "bab",
}
# Whole words only, and not the Higher Education Act (högskolelagen).
_PHRASES = [
    (re.compile(rf"(?<!higher )\b{re.escape(phrase)}\b"), short)
    for phrase, short in [*_TITLE_PHRASE.items(), *ENGLISH_NAMES.items()]
]
_WORD = re.compile(r"[a-zåäö-]+", re.I)

_CHAPTER = re.compile(r"\b(\d{1,2}\s?[a-z]?)\s*kap\.?", re.I)
_SECTION = re.compile(r"\b(\d{1,3}\s?[a-z]?)\s*§(?!§)")
_SECTION_LINE = re.compile(r"^\s*(\d{1,3}\s?[a-z]?)\s*§", re.M)


def designations(text: str, *, title_words: bool = True) -> set[str]:
    """Every designation ``text`` names, canonical (lower case, single spaces); with
    ``title_words``, a one-word law title ("kommunallagen") names its short name too."""
    found = {f"{s.lower()} {y}:{int(n)}" for s, y, n in _SERIES.findall(text)}
    found |= {f"prop {a}/{b[-2:]}:{int(n)}" for a, b, n in _PROP.findall(text)}
    found |= {f"dir {y}:{int(n)}" for y, n in _DIR.findall(text)}
    found |= {f"{s.lower()} {y}:{int(n)}" for s, y, n in _DS_SOU.findall(text)}
    found |= {f"nja {y} s {int(p)}" for y, p in _NJA.findall(text)}
    found |= {f"ad {y} nr {int(n)}" for y, n in _AD.findall(text)}
    found |= {f"mål {k.lower()} {int(n)}-{y}" for k, n, y in _CASE.findall(text)}
    found |= {m.lower() for m in _SHORT.findall(text)}
    if not title_words:
        return found
    for word in _WORD.findall(text.lower()):
        short = _TITLE_WORD.get(word.removesuffix("en"))  # "kommunallagen"
        if short:
            found.add(short)
    # "Lag (2018:222) om bostadsanpassningsbidrag", "lagen om …", "the … Act"
    plain = re.sub(r"\blagen\b", "lag", re.sub(r"\s*\([^)]*\)", "", text.lower()))
    plain = re.sub(r"\s+", " ", plain)
    found |= {short for phrase, short in _PHRASES if phrase.search(plain)}
    return found


def own_designations(title: str, head: str, file_name: str) -> tuple[str, ...]:
    """What a document is called by: the designations in its title, the first lines of its
    text (``head``: keep it short, later lines cite other documents) and its file name
    ("SFS_2017-725_kommunallag.md"), and the short name of a law its title names."""
    stem = re.sub(r"[_\s]+", " ", file_name.rsplit(".", 1)[0])
    # File names write "2017:725" as "2017-725" and "2012/13:144" as "2012-13-144".
    stem = re.sub(r"\b(\d{4}) (\d{2}) (\d{1,4})\b", r"\1/\2:\3", stem.replace("-", " "))
    stem = re.sub(r"\b(\d{4}) (\d{1,4})\b", r"\1:\2", stem)
    stem = re.sub(r"\bs(\d+)", r"s. \1", stem)
    found = designations(title) | designations(f"{head}\n{stem}", title_words=False)
    found |= {f"sfs {y}:{int(n)}" for y, n in _BARE_SFS.findall(f"{title}\n{head}")}
    return tuple(sorted(found))


def sections(heading_path: tuple[str, ...], text: str = "") -> tuple[str, ...]:
    """The section references a chunk holds: "5 kap. 3 §" (or "3 §" without chapters),
    from its heading path and the lines of its text that start a section."""
    chapter = ""
    numbers: list[str] = []
    for heading in heading_path:
        if m := _CHAPTER.match(heading.strip()):
            chapter = _norm(m.group(1))
        elif m := _SECTION.match(heading.strip()):
            numbers.append(_norm(m.group(1)))
    numbers += [_norm(n) for n in _SECTION_LINE.findall(text)]
    prefix = f"{chapter} kap. " if chapter else ""
    return tuple(dict.fromkeys(f"{prefix}{n} §" for n in numbers))


def asked_sections(question: str) -> set[str]:
    """The section references a question makes: "5 kap. 3 §", "22 §"."""
    found = set()
    for m in re.finditer(
        r"(?:\b(\d{1,2}\s?[a-z]?)\s*kap\.?\s*)?\b(\d{1,3}\s?[a-z]?)\s*§", question
    ):
        chapter = f"{_norm(m.group(1))} kap. " if m.group(1) else ""
        found.add(f"{chapter}{_norm(m.group(2))} §")
    return found


def _norm(number: str) -> str:
    return number.replace(" ", "").lower()
