"""Procedural text records: reviews, tagged sentences, QA pairs, passages, prompts.

Each ``make_*`` function draws one raw record from a ``random.Random``; the loader in
:mod:`wattprint.tasks.builtin` calls it until it has ``n`` distinct records. The text is
composed from the word banks in :mod:`~wattprint.tasks.builtin.words` (CC0-1.0).
"""

from __future__ import annotations

import random
from typing import Any

from wattprint.tasks.builtin import words as W

SENTIMENT_LABELS = ("negative", "positive")
"""Class names of the built-in reviews, in id order."""


def _title(rng: random.Random) -> str:
    return f"The {rng.choice(W.TITLE_ADJ)} {rng.choice(W.TITLE_NOUN)}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(W.FIRST_NAMES)} {rng.choice(W.SURNAMES)}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _clause(rng: random.Random, positive: bool) -> str:
    clause = rng.choice(W.POS_CLAUSES if positive else W.NEG_CLAUSES)
    text = clause.format(aspect=rng.choice(W.ASPECTS),
                         adj=rng.choice(W.POS_ADJ if positive else W.NEG_ADJ))
    return text[0].upper() + text[1:]


def make_review(rng: random.Random, long: bool = False) -> dict[str, Any]:
    """A movie review with a binary sentiment label (0 negative, 1 positive).

    Short reviews (1–4 sentences, about 7–50 words) are shaped like SST-2 / Rotten
    Tomatoes; long ones (about 100–350 words) like IMDB. A long review may concede one
    point against its overall sentiment.
    """
    positive = rng.random() < 0.5
    title, genre = _title(rng), rng.choice(W.GENRES)
    adj = rng.choice(W.POS_ADJ if positive else W.NEG_ADJ)
    if not long:
        parts = [f"{title} is a {adj} {genre}."]
        for _ in range(rng.choice((0, 1, 1, 2))):
            clause = _clause(rng, positive)
            if rng.random() < 0.4:
                clause += ", and " + _lower_first(_clause(rng, positive))
            parts.append(clause + ".")
        if rng.random() < 0.5:
            parts.append(rng.choice(W.POS_CLOSERS if positive else W.NEG_CLOSERS))
        return {"text": " ".join(parts), "label": int(positive), "label_names": SENTIMENT_LABELS}
    parts = [f"I watched {title} {rng.choice(W.WHEN)}, a {genre} directed by {_person(rng)}."]
    for _ in range(rng.randint(10, 30)):
        against = rng.random() < 0.15
        clause = _clause(rng, positive != against)
        if against:
            clause = "To be fair, " + _lower_first(clause)
        elif rng.random() < 0.3:
            clause += ", and " + _lower_first(_clause(rng, positive))
        parts.append(clause + ".")
    parts.append(f"All in all, {title} is a {adj} {genre}.")
    parts.append(rng.choice(W.POS_CLOSERS if positive else W.NEG_CLOSERS))
    return {"text": " ".join(parts), "label": int(positive), "label_names": SENTIMENT_LABELS}


# --- CoNLL-like tagged sentences -------------------------------------------------------------

def _org(rng: random.Random) -> str:
    return f"{rng.choice(W.ORG_WORDS)} {rng.choice(W.ORG_SUFFIXES)}"


_NER_TEMPLATES = (
    "{PER} , the chief executive of {ORG} , said on {day} that the company would open an office in {LOC} .",
    "{ORG} shares rose 3 percent in {LOC} after {PER} announced a new contract .",
    "{PER} won the {MISC} in {LOC} on {day} , beating {PER2} in three sets .",
    "The {NAT} minister met {PER} in {LOC} to discuss trade with {ORG} .",
    "Police in {LOC} said {PER} had been released without charge .",
    "{PER} scored twice as {ORG} beat {ORG2} 2 - 1 in {LOC} .",
    "{ORG} will build a new factory near {LOC} , {PER} told reporters .",
    "Floods closed roads between {LOC} and {LOC2} on {day} , officials said .",
    "{PER2} , a {NAT} engineer , joined {ORG} from {ORG2} last year .",
    "Tickets for the {MISC} in {LOC} sold out within an hour .",
)


def make_tagged_sentence(rng: random.Random) -> dict[str, Any]:
    """A CoNLL-2003-like sentence: ``tokens`` and IOB2 ``tags`` (PER, ORG, LOC, MISC)."""
    template = rng.choice(_NER_TEMPLATES)
    town = rng.choice(W.TOWNS)
    slots = {
        "PER": (_person(rng), "PER"), "PER2": (_person(rng), "PER"),
        "ORG": (_org(rng), "ORG"), "ORG2": (_org(rng), "ORG"),
        "LOC": (town, "LOC"), "LOC2": (rng.choice([t for t in W.TOWNS if t != town]), "LOC"),
        "MISC": (f"{rng.choice(W.TOWNS)} {rng.choice(W.EVENTS)}", "MISC"),
        "NAT": (rng.choice(W.NATIONALITIES), "MISC"),
        "day": (rng.choice(W.DAYS), None),
    }
    tokens: list[str] = []
    tags: list[str] = []
    for piece in template.split():
        if piece.startswith("{") and piece.endswith("}"):
            text, etype = slots[piece[1:-1]]
            for i, tok in enumerate(text.split()):
                tokens.append(tok)
                tags.append("O" if etype is None else ("B-" if i == 0 else "I-") + etype)
        else:
            tokens.append(piece)
            tags.append("O")
    return {"tokens": tokens, "tags": tags}


# --- SQuAD-like question/context pairs --------------------------------------------------------

def make_qa(rng: random.Random) -> dict[str, Any]:
    """A SQuAD-like record: a ~90–160 word context about an invented town, a question, and
    the answer as a span of the context (``{"text": [...], "answer_start": [...]}``)."""
    town, region = rng.choice(W.TOWNS), rng.choice(W.REGIONS)
    river, year = rng.choice(W.RIVERS), rng.randint(1150, 1890)
    founder = _person(rng)
    facts = {
        "river": (f"{town} is a town in the {region} region, on the banks of the {river} River.",
                  f"On which river does {town} lie?", f"{river} River"),
        "year": (f"It was founded in {year} by {founder}, a {rng.choice(W.PROFESSIONS)} "
                 f"from {rng.choice([t for t in W.TOWNS if t != town])}.",
                 f"When was {town} founded?", str(year)),
        "founder": (None, f"Who founded {town}?", founder),
        "population": (f"Today about {rng.randint(2, 95)},{rng.randint(100, 999)} people live "
                       f"there, and most of them work in {rng.choice(W.INDUSTRIES)}.",
                       f"How many people live in {town}?", None),
        "landmark": (f"The town is best known for {rng.choice(W.LANDMARKS)}, which was "
                     f"completed in {year + rng.randint(20, 120)}.",
                     f"What is {town} best known for?", None),
        "festival": (f"Every {rng.choice(W.MONTHS)}, {town} holds the {rng.choice(W.FESTIVALS)}, "
                     f"which draws visitors from across {region}.",
                     None, None),
    }
    sentences = [facts["river"][0], facts["year"][0], facts["population"][0],
                 facts["landmark"][0], facts["festival"][0]]
    fillers = [
        f"The main road from {town} follows the valley for several miles.",
        "The weather is mild for most of the year, with heavy rain in late autumn.",
        f"A small school and a clinic serve the families of {town} and the nearby farms.",
        "Several old houses near the square have been turned into shops and cafes.",
        f"Buses connect the town with {rng.choice(W.TOWNS)} twice a day.",
        "In recent years the council has repaired the harbour and widened the bridge.",
    ]
    rng.shuffle(fillers)
    sentences += fillers[: rng.randint(1, 5)]
    context = " ".join(sentences)
    kind = rng.choice(["river", "year", "founder", "population", "landmark", "festival"])
    if kind == "population":
        answer = facts["population"][0].split("about ", 1)[1].split(" people")[0]
        question = facts["population"][1]
    elif kind == "landmark":
        answer = facts["landmark"][0].split("known for ", 1)[1].split(", which")[0]
        question = facts["landmark"][1]
    elif kind == "festival":
        fest_sentence = facts["festival"][0]
        answer = fest_sentence.split("Every ", 1)[1].split(",")[0]
        festival = fest_sentence.split("holds the ", 1)[1].split(",")[0]
        question = f"In which month is the {festival} held in {town}?"
    else:
        _, question, answer = facts[kind]
    start = context.index(answer)
    return {"question": question, "context": context,
            "answers": {"text": [answer], "answer_start": [start]}}


# --- web-text passages (fill-mask, text generation) -------------------------------------------

def make_passage(rng: random.Random) -> dict[str, Any]:
    """A C4/OSCAR-like web passage of 3–6 sentences (always more than 20 words)."""
    topic = rng.choice(sorted(W.PASSAGE_TOPICS))
    pool = list(W.PASSAGE_TOPICS[topic])
    rng.shuffle(pool)
    town = rng.choice(W.TOWNS)
    values = {"food": rng.choice(W.FOODS), "plant": rng.choice(W.PLANTS), "town": town,
              "town2": rng.choice([t for t in W.TOWNS if t != town]), "month": rng.choice(W.MONTHS),
              "day": rng.choice(W.DAYS), "river": rng.choice(W.RIVERS),
              "festival": rng.choice(W.FESTIVALS)}
    opener = (f"{rng.choice(W.OPENERS)} {rng.choice(W.FIRST_NAMES)} {rng.choice(W.SURNAMES)} "
              f"from {town} {rng.choice(W.ACTIVITIES)}.")
    text = " ".join([opener] + [s.format(**values) for s in pool[: rng.randint(2, 5)]])
    # distinct by the first 20 words: that is all fill-mask and text generation keep
    return {"text": text, "_key": " ".join(text.split()[:20])}


# --- image-generation prompts -----------------------------------------------------------------

def make_prompt(rng: random.Random) -> dict[str, Any]:
    """A DiffusionDB-like prompt of about 8–70 words (longer ones get cut to 50)."""
    parts = [f"{rng.choice(W.PROMPT_SUBJECTS)} {rng.choice(W.PROMPT_ACTIONS)} "
             f"{rng.choice(W.PROMPT_SETTINGS)}", rng.choice(W.PROMPT_STYLES)]
    mods = list(W.PROMPT_MODIFIERS)
    rng.shuffle(mods)
    parts += mods[: rng.randint(0, len(mods))]
    if rng.random() < 0.3:
        parts.append(f"in the style of {rng.choice(W.PROMPT_STYLES)} and "
                     f"{rng.choice(W.PROMPT_STYLES)}")
    return {"prompt": ", ".join(parts)}
