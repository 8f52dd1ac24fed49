"""Synthetic company records shaped like the Companies House file the dedup seed uses.

Names follow the patterns of the real register ("KGF PLUMBING AND HEATING LTD",
"KNIGHTSBRIDGE HIGHRISE 1 LIMITED", "JACK KAY & SONS", "JAMES MCDOUGALL"):
many firms share a trade and a legal form and differ in one distinctive word,
which is what makes fuzzy matching hard.  Some entities are registered more
than once under variant spellings (the planted duplicates: typos, LTD/LIMITED,
&/AND, a dropped word, punctuation, a leading THE, doubled spaces) and some
names repeat exactly, as in the seed's data.  Each record carries its true
entity id, written separately with ``--truth`` so that quality can be measured.
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from typing import IO, Iterator

from dataforge.dedup.normalise import same_as_key

COLUMNS = ["CompanyName", " CompanyNumber", "RegAddress.PostTown", "RegAddress.PostCode"]

_SYLLABLES = (
    "ka ko ma mo ri ro ta te vo la le ne ni sa so xa ze bri cla dra fle gro pla "
    "tri stra quin vex lux nor sol ter ven zor mar kel dan bel cor fen gal har "
    "jet kin lin mer nov pen ral sev tor ul wex yar zen ash bro cal del ell "
    "fox gre hol ing kay lon mac"
).split()
_SURNAMES = (
    "SMITH JONES TAYLOR BROWN WILLIAMS WILSON JOHNSON DAVIES PATEL ROBINSON WRIGHT THOMPSON EVANS "
    "WALKER WHITE ROBERTS GREEN HALL THOMAS CLARKE JACKSON WOOD HARRIS EDWARDS TURNER MARTIN COOPER "
    "HILL WARD HUGHES MOORE CLARK KING HARRISON LEWIS BAKER LEE ALLEN MORRIS KHAN SCOTT WATSON DAVIS "
    "PARKER JAMES BENNETT YOUNG PHILLIPS RICHARDSON MITCHELL BAILEY CARTER COOK SINGH SHAW BELL "
    "COLLINS MORGAN KELLY BEGUM MILLER COX HUSSAIN MARSHALL SIMPSON PRICE ANDERSON ADAMS WILKINSON "
    "ALI WARD MURPHY GRAHAM STEVENS CAMPBELL MASON FOSTER CHAPMAN POWELL WEBB ROGERS GRAY MILLS "
    "ATKINSON HOLMES PALMER LLOYD BARNES KNIGHT BUTLER RUSSELL BARKER FISHER STEWART MCDOUGALL KAY "
    "FARRAN KELSO DUNBAR OKAFOR NOWAK KOWALSKI SANTOS COSTA RAHMAN CHOWDHURY GILL SANDHU"
).split()
_FIRST = (
    "JAMES JOHN DAVID MICHAEL PAUL ANDREW PETER MARK RICHARD STEVEN SARAH EMMA LAURA CLAIRE "
    "JULIE KAREN HELEN RACHEL AMY SOPHIE MOHAMMED ALI RAJ PRIYA TOM JACK HARRY OLIVER GEORGE "
    "CHARLOTTE EMILY GRACE LUCY ANNA"
).split()
_TRADES = [
    "PLUMBING AND HEATING", "PLUMBING & HEATING", "CARPETS & FLOORING", "CARPETS AND FLOORING",
    "PROPERTY MANAGEMENT", "PROPERTIES", "PROPERTY INVESTMENTS", "CONSULTING", "CONSULTANCY",
    "MANAGEMENT CONSULTANCY", "BUILDING SERVICES", "BUILDERS", "CONSTRUCTION", "IT SOLUTIONS",
    "IT SERVICES", "SOFTWARE", "TECHNOLOGIES", "DIGITAL", "MEDIA", "MARKETING", "DESIGN",
    "CLEANING SERVICES", "ELECTRICAL", "ELECTRICAL SERVICES", "ROOFING", "LANDSCAPING",
    "GARDEN SERVICES", "TRANSPORT", "LOGISTICS", "HAULAGE", "TRADING", "IMPORTS", "FOODS",
    "CATERING", "RESTAURANTS", "BAKERY", "HAIR & BEAUTY", "BEAUTY SALON SUPPLIES",
    "BEAUTY CARE SUPPLIES", "DENTAL CARE", "HEALTHCARE", "CARE SERVICES", "RECRUITMENT",
    "ACCOUNTANCY", "ACCOUNTANTS", "FINANCIAL SERVICES", "INVESTMENTS", "ESTATES", "HOMES",
    "DEVELOPMENTS", "WINDOWS DOORS & CONSERVATORIES", "WINDOWS AND DOORS", "JOINERY",
    "ENGINEERING", "MOTORS", "CAR SALES", "VEHICLE REPAIRS", "SECURITY", "EVENTS",
    "PHOTOGRAPHY", "FITNESS", "EDUCATION", "TUTORING", "TRAINING", "LEGAL SERVICES",
    "SOLICITORS", "INTERIORS", "FURNITURE", "TEXTILES", "FASHION", "JEWELLERY", "PHARMACY",
    "VETERINARY SERVICES", "FARMS", "EQUESTRIAN", "ENERGY", "SOLAR", "RENEWABLES", "VENTURES",
]
_TOWNS = (
    "LONDON MANCHESTER BIRMINGHAM LEEDS GLASGOW LIVERPOOL BRISTOL SHEFFIELD EDINBURGH CARDIFF "
    "LEICESTER NOTTINGHAM COVENTRY BRADFORD BELFAST HULL NEWCASTLE STOKE SOUTHAMPTON DERBY "
    "PORTSMOUTH PLYMOUTH WOLVERHAMPTON SWANSEA READING ABERDEEN NORTHAMPTON LUTON MILTON_KEYNES "
    "BOLTON BOURNEMOUTH NORWICH SWINDON HERTFORD PEMBROKE YORK EXETER CAMBRIDGE OXFORD BATH "
    "CHESTER LANCASTER DUNDEE INVERNESS KNIGHTSBRIDGE DEVON KENT SURREY ESSEX"
).replace("_", " ").split()
_POSTAREAS = "SW SE N NW E W EC WC B M LS G L BS S EH CF LE NG CV BD BT HU NE ST SO DE PO PL WV SA RG AB".split()
_FORMS = [("LIMITED", 52), ("LTD", 26), ("LTD.", 3), ("PLC", 1), ("LLP", 3), ("HOLDINGS LIMITED", 3),
          ("GROUP LTD", 2), ("(UK) LIMITED", 2), ("& CO LTD", 1), ("& SONS LIMITED", 1), ("", 6)]
_FORM_NAMES = [f for f, _ in _FORMS]
_FORM_WEIGHTS = [w for _, w in _FORMS]


@dataclass
class Company:
    name: str
    number: str
    town: str
    postcode: str
    entity: int


def _brand(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4)))).upper()


def _initials(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(rng.choice((2, 3, 3))))


def _base_name(rng: random.Random) -> str:
    form = rng.choices(_FORM_NAMES, _FORM_WEIGHTS)[0]
    pattern = rng.randrange(12)
    if pattern == 0:
        words = [_brand(rng)]
    elif pattern in (1, 2):
        words = [_brand(rng), rng.choice(_TRADES)]
    elif pattern == 3:
        words = [_initials(rng), rng.choice(_TRADES)]
    elif pattern == 4:
        words = [rng.choice(_SURNAMES), rng.choice(_TRADES)]
    elif pattern == 5:
        words = ([rng.choice(_FIRST), rng.choice(_SURNAMES), "&", "SONS"] if rng.random() < 0.5
                 else [rng.choice(_SURNAMES), "&", rng.choice(_SURNAMES)])
    elif pattern == 6:
        words = [rng.choice(_TOWNS), rng.choice(_TRADES)]
    elif pattern == 7:
        words = ["THE", _brand(rng), rng.choice(_TRADES), "COMPANY"]
        form = "LIMITED"
    elif pattern == 8:
        return f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)}"  # a sole trader or partnership
    elif pattern == 9:
        words = [_brand(rng), rng.choice(_TOWNS), str(rng.randint(1, 9))]
    elif pattern == 10:
        words = [_brand(rng), _brand(rng)]
    else:
        words = [rng.choice(_FIRST), rng.choice(_SURNAMES), rng.choice(_TRADES)]
    return " ".join(words + ([form] if form else []))


def _typo(rng: random.Random, name: str) -> str:
    # in the distinctive part: the first word with 4+ letters
    words = name.split(" ")
    choices = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not choices:
        return name + "S"
    i = rng.choice(choices)
    w = words[i]
    k = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:k] + w[k + 1:]  # dropped letter
    elif kind == 1:
        w = w[:k - 1] + w[k] + w[k - 1] + w[k + 1:]  # swapped letters
    else:
        w = w[:k] + rng.choice("AEIOURSTNL") + w[k + 1:]  # wrong letter
    words[i] = w
    return " ".join(words)


# words a person would still accept missing from a firm's name
_GENERIC = frozenset(w for phrase in _TRADES + _TOWNS + _FORM_NAMES for w in phrase.split()) | {
    "THE", "COMPANY", "&", "AND", "SONS", "CO", "1", "2", "3", "4", "5", "6", "7", "8", "9"}


def _variant(rng: random.Random, name: str, generic_drops: bool = False) -> str:
    """The same firm written another way: one or two of the planted kinds of change.
    With *generic_drops*, a dropped word is never the distinctive one."""
    out = name
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(8)
        if kind == 0:
            out = _typo(rng, out)
        elif kind == 1:
            if out.endswith(" LIMITED"):
                out = out[: -len("LIMITED")] + "LTD"
            elif out.endswith((" LTD", " LTD.")):
                out = out.rsplit(" ", 1)[0] + " LIMITED"
            else:
                out = out + " LTD"
        elif kind == 2:
            out = out.replace(" & ", " AND ") if " & " in out else out.replace(" AND ", " & ")
        elif kind == 3 and generic_drops:
            words = out.split(" ")
            droppable = [i for i, w in enumerate(words) if i > 0 and w.strip(".,-") in _GENERIC]
            if len(words) > 2 and droppable:
                del words[rng.choice(droppable)]
                out = " ".join(words)
        elif kind == 3:
            words = out.split(" ")
            if len(words) > 2:
                del words[rng.randrange(1, len(words))]
                out = " ".join(words)
        elif kind == 4:
            words = out.split(" ")
            i = rng.randrange(len(words))
            words[i] = words[i] + rng.choice((".", ",", "-"))
            out = " ".join(words).replace("--", "-")
        elif kind == 5:
            out = out[4:] if out.startswith("THE ") else "THE " + out
        elif kind == 6:
            i = out.find(" ")
            out = out[:i] + "  " + out[i + 1:] if i > 0 else out + " "
        else:
            out = out.title()
    return out


def _postcode(rng: random.Random) -> str:
    return f"{rng.choice(_POSTAREAS)}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
           f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def companies(n: int, seed: int = 0, duplicate_rate: float = 0.08, repeat_rate: float = 0.004,
              unambiguous: bool = False) -> Iterator[Company]:
    """*n* company records; about *duplicate_rate* of entities also appear under variant names
    and *repeat_rate* of names repeat exactly (2-10 times).

    *unambiguous* makes a truth a person would accept: no two firms share a
    name under the register's "same as" rule (:func:`same_as_key`: "PLAZOR
    LTD" and "PLAZOR LIMITED" are one firm, never two), and a dropped word is
    a generic one (trade, town, legal form), never the distinctive one.  Off,
    the output is the same as before the option existed.
    """
    rng = random.Random(seed)
    made = 0
    entity = 0
    numbers = rng.sample(range(1, 14_000_000), n)
    used: set[str] = set()  # the register does not give two live firms one name
    key = same_as_key if unambiguous else str
    while made < n:
        entity += 1
        name = _base_name(rng)
        while key(name) in used:
            name = _base_name(rng)
        used.add(key(name))
        town = rng.choice(_TOWNS)
        postcode = _postcode(rng)
        names = [name]
        roll = rng.random()
        if roll < duplicate_rate:
            names += [_variant(rng, name, unambiguous) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        elif roll < duplicate_rate + repeat_rate:
            names += [name] * rng.randint(1, 9)
        for i, variant in enumerate(names):
            if made >= n:
                break
            moved = i > 0 and rng.random() < 0.15  # a re-registration at another address
            number = numbers[made]
            yield Company(
                name=variant,
                number=(f"SC{number % 1_000_000:06d}" if number % 17 == 0 else f"{number:08d}"),
                town=rng.choice(_TOWNS) if moved else town,
                postcode=_postcode(rng) if moved else postcode,
                entity=entity,
            )
            made += 1


def write_with_truth(out: IO[str], truth: "IO[str] | None", columns: list, id_column: str,
                     records: "Iterator[tuple[list, str, object]]") -> int:
    """Write (row, record id, entity) *records* as CSV under *columns*; *truth*, when given, gets
    ``id_column,entity_id``.  Returns the number of records."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    truth_writer = csv.writer(truth, lineterminator="\n") if truth is not None else None
    if truth_writer:
        truth_writer.writerow([id_column, "entity_id"])
    count = 0
    for row, record_id, entity in records:
        writer.writerow(row)
        if truth_writer:
            truth_writer.writerow([record_id, entity])
        count += 1
    return count


def write_companies(out: IO[str], n: int, seed: int = 0, truth: IO[str] | None = None, **rates) -> int:
    """Write *n* records as CSV (Companies House column names, including the
    leading space of `` CompanyNumber``); *truth* gets ``CompanyNumber,entity_id``."""
    return write_with_truth(out, truth, COLUMNS, "CompanyNumber",
                            (([c.name, c.number, c.town, c.postcode], c.number, c.entity)
                             for c in companies(n, seed, **rates)))


def company_names_csv(n: int, seed: int = 0) -> str:
    """The CSV text of :func:`write_companies`, for tests."""
    buffer = io.StringIO()
    write_companies(buffer, n, seed)
    return buffer.getvalue()
