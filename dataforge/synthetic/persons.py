"""Synthetic person records (given name, surname, street, town) with planted duplicates.

The hard cases of matching people: many people share a common name
(JAMES SMITH in every town), families share a surname and an address (SARAH
and JAMES SMITH at 12 HIGH STREET are two people), and one person is
written in several ways: a typo in a name or the street, given name and
surname swapped between the fields, a street abbreviated (ROAD/RD), a house
number dropped.  Each record carries its true person id, written separately
with ``--truth``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import IO, Iterator

from dataforge.synthetic.companies import _FIRST, _SURNAMES, _TOWNS, _typo, write_with_truth

COLUMNS = ["PersonId", "GivenName", "Surname", "Street", "Town"]

_MORE_FIRST = (
    "MARY PATRICIA LINDA BARBARA ELIZABETH JENNIFER MARIA SUSAN MARGARET DOROTHY LISA NANCY BETTY "
    "ROBERT WILLIAM THOMAS CHARLES DANIEL MATTHEW ANTHONY DONALD STEPHEN KEVIN BRIAN GARY EDWARD "
    "RONALD TIMOTHY JASON JEFFREY RYAN GRAHAM IAN NEIL SIMON STUART CRAIG DEAN LEE SEAN CONNOR "
    "AISHA FATIMA ZARA LEILA OMAR HASSAN ARJUN ANIL SUNIL DEEPA KIRAN WEI MEI HUI JOANNA AGNIESZKA "
    "PIOTR TOMASZ KATARZYNA CHLOE JESSICA HANNAH MEGAN BETHANY ISABELLA MIA AVA ELLA FREYA NIAMH"
).split()
_STREET_NAMES = (
    "HIGH CHURCH STATION MAIN PARK VICTORIA GREEN MANOR KINGS QUEENS NEW MILL SCHOOL ALBERT "
    "GEORGE WEST EAST NORTH SOUTH LONDON YORK BRIDGE CASTLE MARKET CHAPEL WINDSOR GROVE ASH OAK "
    "BEECH ELM CEDAR WILLOW HAWTHORN ROWAN MEADOW ORCHARD FOREST RIVERSIDE HILLSIDE CROSS BROOK "
    "FARM ABBEY PRIORY CHESTNUT SPRINGFIELD BELMONT CLAREMONT GLEBE HOLLY LABURNUM"
).split()
_STREET_KINDS = [("ROAD", "RD"), ("STREET", "ST"), ("AVENUE", "AVE"), ("LANE", "LN"), ("CLOSE", "CL"),
                 ("DRIVE", "DR"), ("CRESCENT", "CRES"), ("GARDENS", "GDNS"), ("WAY", "WAY"), ("PLACE", "PL")]


@dataclass
class Person:
    id: str
    given: str
    surname: str
    street: str
    town: str
    entity: int


def _street(rng: random.Random) -> tuple[str, str]:
    """A street written in full, and with its kind abbreviated."""
    number = str(rng.randint(1, 180))
    name = rng.choice(_STREET_NAMES)
    full, short = rng.choice(_STREET_KINDS)
    return f"{number} {name} {full}", f"{number} {name} {short}"


def _variant(rng: random.Random, given: str, surname: str, street: str, short_street: str
             ) -> tuple[str, str, str]:
    """The same person written another way: one or two of the planted kinds of change."""
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(6)
        if kind == 0:
            given = _typo(rng, given) if len(given) >= 4 else given + given[-1]
        elif kind == 1:
            surname = _typo(rng, surname) if len(surname) >= 4 else surname + surname[-1]
        elif kind == 2:
            given, surname = surname, given  # the fields swapped
        elif kind == 3:
            words = street.split(" ")
            words[1] = _typo(rng, words[1]) if len(words[1]) >= 4 else words[1]
            street = " ".join(words)
        elif kind == 4:
            street = short_street if street != short_street else street.split(" ", 1)[1]  # abbreviated, or no number
        else:
            given, surname = given.title(), surname.title()
    return given, surname, street


def persons(n: int, seed: int = 0, duplicate_rate: float = 0.1, household_rate: float = 0.15) -> Iterator[Person]:
    """*n* person records; about *duplicate_rate* of people also appear under variant spellings
    and *household_rate* share their surname and address with another person."""
    rng = random.Random(seed)
    firsts = _FIRST + _MORE_FIRST
    made = 0
    entity = 0
    home = None  # the last address, for a family member
    used: set[tuple] = set()  # two people of one name at one address would be one record
    while made < n:
        if home is not None and rng.random() < household_rate:
            surname, street, short_street, town = home
            given = rng.choice(firsts)
        else:
            # common names are much more common: a Zipf-like draw from the lists
            surname = _SURNAMES[min(int(rng.paretovariate(0.9)) - 1, len(_SURNAMES) - 1)] if rng.random() < 0.7 \
                else rng.choice(_SURNAMES)
            given = rng.choice(firsts)
            street, short_street = _street(rng)
            town = rng.choice(_TOWNS)
        if (given, surname, street, town) in used:
            home = None
            continue
        used.add((given, surname, street, town))
        entity += 1
        home = (surname, street, short_street, town)
        records = [(given, surname, street)]
        if rng.random() < duplicate_rate:
            records += [_variant(rng, given, surname, street, short_street) for _ in range(rng.choice((1, 1, 1, 2)))]
        for record in records:
            if made >= n:
                break
            made += 1
            yield Person(f"P{made:07d}", *record, town, entity)


def write_persons(out: IO[str], n: int, seed: int = 0, truth: IO[str] | None = None, **rates: float) -> int:
    """Write *n* records as CSV (PersonId, GivenName, Surname, Street, Town); *truth*
    gets ``PersonId,entity_id``."""
    return write_with_truth(out, truth, COLUMNS, "PersonId",
                            (([p.id, p.given, p.surname, p.street, p.town], p.id, p.entity)
                             for p in persons(n, seed, **rates)))
