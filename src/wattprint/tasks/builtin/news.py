"""Procedural news articles (about 300–700 words) with a one-sentence reference summary.

Shaped like CNN/DailyMail and XSum documents: a lead sentence with the key facts, quotes,
background paragraphs; the reference summary states the key facts in one sentence, as an
XSum summary does. Text composed from :mod:`~wattprint.tasks.builtin.words` (CC0-1.0).
"""

from __future__ import annotations

import random
from typing import Any

from wattprint.tasks.builtin import words as W


def _person(rng: random.Random) -> str:
    return f"{rng.choice(W.FIRST_NAMES)} {rng.choice(W.SURNAMES)}"


def _council(rng: random.Random, town: str) -> tuple[list[str], list[str], str]:
    project = rng.choice(["a new swimming pool", "a flood wall along the river", "a cycle path",
                          "two hundred affordable homes", "a bigger bus station",
                          "a solar farm on the old airfield"])
    cost = rng.randint(2, 90)
    votes = (rng.randint(9, 20), rng.randint(1, 8))
    leader = _person(rng)
    lead = (f"Councillors in {town} have approved a {cost} million pound plan to build "
            f"{project}, after a vote of {votes[0]} to {votes[1]} on {rng.choice(W.DAYS)} night.")
    quotes = [
        f'"This is the biggest investment in {town} for a generation," said council leader {leader}.',
        f'"People have waited long enough," {leader} told the meeting.',
        f'Opposition member {_person(rng)} said: "The money would be better spent on roads."',
        f'A local shop owner, {_person(rng)}, said she welcomed the decision but worried about the noise.',
    ]
    summary = f"{town} council has approved a {cost} million pound plan to build {project}."
    return [lead], quotes, summary


def _company(rng: random.Random, town: str) -> tuple[list[str], list[str], str]:
    org = f"{rng.choice(W.ORG_WORDS)} {rng.choice(W.ORG_SUFFIXES)}"
    jobs = rng.randint(40, 900)
    up = rng.random() < 0.5
    boss = _person(rng)
    verb = "create" if up else "cut"
    lead = (f"{org}, one of the largest employers in {town}, will {verb} {jobs} jobs over the "
            f"next two years, the firm said on {rng.choice(W.DAYS)}.")
    quotes = [
        f'"We have had a {"strong" if up else "difficult"} year," said chief executive {boss}.',
        f'{boss} added: "{town} remains at the heart of our plans."',
        f'Union official {_person(rng)} said staff had been told the news at a morning meeting.',
        f'Shares in {org} {"rose" if up else "fell"} {rng.randint(2, 15)} percent after the announcement.',
    ]
    summary = f"{org} will {verb} {jobs} jobs in {town} over the next two years."
    return [lead], quotes, summary


def _match(rng: random.Random, town: str) -> tuple[list[str], list[str], str]:
    home = f"{town} {rng.choice(['United', 'Rovers', 'Athletic', 'City'])}"
    away = f"{rng.choice([t for t in W.TOWNS if t != town])} {rng.choice(['Town', 'Wanderers', 'FC'])}"
    goals = (rng.randint(1, 5), rng.randint(0, 4))
    scorer = _person(rng)
    lead = (f"{home} beat {away} {goals[0]}-{goals[1]} on {rng.choice(W.DAYS)}, with {scorer} "
            f"scoring {'twice' if goals[0] > 1 else 'the winner'} in front of a crowd of "
            f"{rng.randint(2, 30)},{rng.randint(100, 999)}.")
    quotes = [
        f'"The players gave everything tonight," said manager {_person(rng)}.',
        f'{scorer} said: "I just tried to stay calm in front of goal."',
        f'The visiting coach, {_person(rng)}, admitted his side had been "second best all evening".',
        f'Supporters sang for {scorer} long after the final whistle.',
    ]
    summary = f"{scorer} starred as {home} beat {away} {goals[0]}-{goals[1]}."
    return [lead], quotes, summary


def _storm(rng: random.Random, town: str) -> tuple[list[str], list[str], str]:
    homes = rng.randint(30, 4000)
    river = rng.choice(W.RIVERS)
    lead = (f"About {homes} homes in and around {town} were left without power after a storm "
            f"brought heavy rain and flooding along the {river} River on {rng.choice(W.DAYS)}.")
    quotes = [
        f'"The water came up faster than anyone expected," said resident {_person(rng)}.',
        f'Fire crews rescued {rng.randint(2, 40)} people from cars trapped on flooded roads.',
        f'Engineer {_person(rng)} said power should return to most homes within a day.',
        f'Schools in {town} will stay closed until the roads are safe, the council said.',
    ]
    summary = f"About {homes} homes near {town} lost power after a storm flooded the {river} River."
    return [lead], quotes, summary


def _science(rng: random.Random, town: str) -> tuple[list[str], list[str], str]:
    animal = rng.choice(["otters", "barn owls", "hedgehogs", "bumblebees", "salmon", "bats"])
    change = rng.randint(10, 60)
    rise = rng.random() < 0.5
    lead = (f"The number of {animal} around {town} has {'risen' if rise else 'fallen'} by "
            f"{change} percent in ten years, according to a study by researchers at the "
            f"University of {rng.choice(W.REGIONS)}.")
    quotes = [
        f'"We did not expect such a large change," said lead author Dr {_person(rng)}.',
        f'The team counted {animal} at {rng.randint(12, 80)} sites every {rng.choice(W.MONTHS)}.',
        f'Volunteer {_person(rng)} said the survey had involved hundreds of local families.',
        'The researchers said more work was needed to understand the causes.',
    ]
    summary = (f"The number of {animal} around {town} has {'risen' if rise else 'fallen'} "
               f"by {change} percent in ten years, a study says.")
    return [lead], quotes, summary


_STORIES = (_council, _company, _match, _storm, _science)


def _background(rng: random.Random, town: str) -> list[str]:
    region = rng.choice(W.REGIONS)
    pool = [
        f"{town} lies in the {region} region and has a population of about "
        f"{rng.randint(5, 90)},000.",
        f"The town grew around {rng.choice(W.INDUSTRIES)} in the nineteenth century.",
        "Earlier this year, residents complained about the state of local roads and the "
        "lack of parking near the centre.",
        f"A public meeting will be held at the town hall next {rng.choice(W.DAYS)} to answer "
        f"questions from residents.",
        f"The {rng.choice(W.FESTIVALS)}, held every {rng.choice(W.MONTHS)}, is the busiest time "
        f"of the year for local businesses.",
        f"Figures published last month show that unemployment in the {region} region is "
        f"slightly below the national average.",
        "Campaigners say the area has been overlooked for years, while officials point to "
        "recent spending on schools and health care.",
        f"The nearest city, {rng.choice(W.TOWNS)}, is about forty minutes away by train.",
        "Local newspapers have followed the story closely, and several readers wrote in to "
        "share their views.",
        "It is not the first time the issue has divided opinion in the town.",
        "Similar plans in neighbouring areas have met with mixed success.",
        "A spokesperson for the regional government said it would study the details "
        "before commenting further.",
        "Traffic was slow on the main road for most of the afternoon.",
        "Several people shared photographs of the scene on social media.",
        f"Records kept since {rng.randint(1890, 1960)} suggest that nothing similar has "
        f"happened in the area before.",
    ]
    rng.shuffle(pool)
    return pool


def make_article(rng: random.Random) -> dict[str, Any]:
    """A news article of about 300–700 words (``text``) and a one-sentence ``summary``."""
    town = rng.choice(W.TOWNS)
    lead, quotes, summary = rng.choice(_STORIES)(rng, town)
    target = rng.randint(300, 640)  # the last paragraph may add up to ~60 words
    quotes = list(quotes)
    rng.shuffle(quotes)
    paragraphs = [lead[0]]
    words = len(lead[0].split())
    background: list[str] = []
    while words < target:
        if not background:
            background = _background(rng, town)
        if quotes and rng.random() < 0.4:
            para = quotes.pop()
        else:
            para = " ".join(background.pop() for _ in range(min(len(background), rng.randint(1, 3))))
        paragraphs.append(para)
        words += len(para.split())
    return {"text": "\n\n".join(paragraphs), "summary": summary}
