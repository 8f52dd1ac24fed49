"""Synthetic schema.org JobPosting records shaped like the jobs seed's sample record."""
from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import IO, Iterator

_TITLES = [
    "Data Scientist", "Senior Data Scientist", "Lead data scientist",
    "DATA SCIENTIST II", "Data Scientist - Machine Learning", "Data Analyst",
    "Senior Data Analyst", "Data Engineer", "Machine Learning Engineer",
    "Software Engineer", "Senior Software Engineer", "Backend Developer",
    "Product Manager", "Business Analyst", "Registered Nurse",
    "Nurse Practitioner", "Accountant", "Sales Associate", "Store Manager",
    "Warehouse Associate", "Truck Driver", "Customer Service Representative",
    "Marketing Manager", "Research Scientist", "Statistician",
    "Financial Analyst", "Mechanical Engineer", "Pharmacist",
    "Chef de Cuisine", "Barista",
]
_INDUSTRIES = [
    "Information Technology", "Health Care", "Finance", "Retail",
    "Manufacturing", "Education", "Transportation", "Hospitality",
    "Government", "Biotech & Pharmaceuticals",
]
_PLACES = [
    ("San Francisco", "CA", "941", 37.77, -122.42),
    ("Los Angeles", "CA", "900", 34.05, -118.24),
    ("San José", "CA", "951", 37.34, -121.89),
    ("New York", "NY", "100", 40.71, -74.01),
    ("Brooklyn", "NY", "112", 40.68, -73.94),
    ("Seattle", "WA", "981", 47.61, -122.33),
    ("Austin", "TX", "787", 30.27, -97.74),
    ("Houston", "TX", "770", 29.76, -95.37),
    ("Chicago", "IL", "606", 41.88, -87.63),
    ("Boston", "MA", "021", 42.36, -71.06),
    ("Denver", "CO", "802", 39.74, -104.99),
    ("Atlanta", "GA", "303", 33.75, -84.39),
    ("Miami", "FL", "331", 25.76, -80.19),
    ("Española", "NM", "875", 35.99, -106.08),
]
_EMPLOYERS = [
    ("Stripe", "www.stripe.com"), ("Acme Analytics", "www.acme-analytics.com"),
    ("Globex Corporation", "www.globex.com"), ("Initech", "www.initech.com"),
    ("Umbrella Health", "www.umbrellahealth.org"), ("Soylent Foods", None),
    ("Hooli", "www.hooli.xyz"), ("Vandelay Industries", None),
    ("Wayne Enterprises", "www.wayne.com"), ("Café Zürich LLC", None),
    ("Pied Piper", "www.piedpiper.com"), ("Cyberdyne Systems", None),
]
_CATEGORIES = [
    ["15-1111.00", "Computer and Information Research Scientists"],
    ["15-2041.00", "Statisticians"], ["15-1132.00", "Software Developers, Applications"],
    ["29-1141.00", "Registered Nurses"], ["13-2011.01", "Accountants"],
    ["41-2031.00", "Retail Salespersons"], ["53-3032.00", "Heavy and Tractor-Trailer Truck Drivers"],
]
_EMPLOYMENT = ["FULL_TIME", "FULL_TIME", "FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY"]
_SENTENCES = [
    "We're looking for people to join the team who are excited about applying their skills.",
    "Work closely with product and business teams to identify important questions and answer them with data.",
    "Apply statistical and econometric models on large datasets to measure results and outcomes.",
    "Design, analyze, and interpret the results of experiments.",
    "Drive the collection of new data and the refinement of existing data sources.",
    "Create analyses that tell a \"story\" focused on insights, not just data.",
    "3+ years experience working with and analyzing large data sets to solve problems.",
    "A PhD or MS in a quantitative field (e.g., Economics, Statistics, Eng, Natural Sciences, CS).",
    "Expert knowledge of a scientific computing language (such as R or Python) and SQL.",
    "Strong knowledge of statistics and experimental design.",
    "Ability to communicate results clearly and a focus on driving impact.",
    "Prior experience with data-distributed tools (Scalding, Hadoop, Pig, etc).",
    "Provide excellent service to every customer, every day.",
    "Maintain a clean, safe and welcoming environment.",
    "Collaborate with colleagues across departments to deliver on time.",
    "Competitive pay, health, dental and vision insurance, and a 401(k) match.",
]


def _description(rng: random.Random, target_chars: int) -> str:
    parts = ["<div><em>Generate insights and impact</em><em>.</em></div>\n<br/>\n<div>\n"]
    size = len(parts[0])
    while size < target_chars:
        heading = rng.choice(["You will:", "We're looking for someone with:", "Nice to haves:", "Benefits:"])
        block = f"<div><strong>{heading}</strong></div><div>\n\n\n<ul>\n"
        for _ in range(rng.randint(2, 5)):
            block += f"<li>{rng.choice(_SENTENCES)}</li>\n"
        block += "</ul>\n\n</div><br/>\n\n"
        parts.append(block)
        size += len(block)
    parts.append("</div>\n<br/>")
    return "".join(parts)


def _salary(rng: random.Random) -> dict | None:
    roll = rng.random()
    if roll < 0.08:
        return None  # no estimatedSalary at all
    low = rng.randrange(30, 200) * 1000
    high = low + rng.randrange(0, 80) * 1000
    value: dict = {"@type": "QuantitativeValue", "unitText": "YEAR"}
    if roll < 0.10:
        value["maxValue"] = "Competitive"  # not a number
        value["minValue"] = str(low)
    elif roll < 0.13:
        value["maxValue"] = high  # numbers, not strings, in some feeds
        value["minValue"] = low
    elif roll < 0.15:
        value["maxValue"] = str(high)  # minValue missing
    else:
        value["maxValue"] = str(high)
        value["minValue"] = str(low)
    return {"@type": "MonetaryAmount", "currency": "USD", "value": value}


def job_postings(n: int, seed: int = 0, description_chars: int = 1800) -> Iterator[dict]:
    """Yield *n* schema.org JobPosting records like the seed's sample record."""
    rng = random.Random(seed)
    first_day = date(2018, 9, 1)
    for i in range(n):
        city, region, zip3, lat, lon = rng.choice(_PLACES)
        name, same_as = rng.choice(_EMPLOYERS)
        posted = first_day + timedelta(days=rng.randrange(0, 30))
        record: dict = {
            "industry": rng.choice(_INDUSTRIES),
            "datePosted": posted.isoformat(),
            "salaryCurrency": "USD",
            "validThrough": (posted + timedelta(days=30)).isoformat(),
            "empId": rng.randrange(100000, 999999),
            "jobLocation": {
                "geo": {"latitude": f"{lat + rng.uniform(-0.1, 0.1):.4f}",
                        "@type": "GeoCoordinates",
                        "longitude": f"{lon + rng.uniform(-0.1, 0.1):.4f}"},
                "@type": "Place",
                "address": {"postalCode": f"{zip3}{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
                            "addressLocality": city, "@type": "PostalAddress",
                            "addressRegion": region,
                            "addressCountry": {"@type": "Country", "name": "US"}},
            },
        }
        salary = _salary(rng)
        if salary is not None:
            record["estimatedSalary"] = salary
        record["description"] = _description(rng, rng.randint(description_chars // 2, description_chars * 3 // 2))
        organization = {"@type": "Organization", "name": name}
        if same_as:
            organization["sameAs"] = same_as
        record["hiringOrganization"] = organization
        record["@type"] = "JobPosting"
        record["jobId"] = 2280000000 + i * 13 + rng.randrange(0, 13)  # unique, increasing
        record["@context"] = "http://schema.org"
        record["employmentType"] = rng.choice(_EMPLOYMENT)
        record["occupationalCategory"] = rng.choice(_CATEGORIES)
        if rng.random() > 0.01:  # a few postings carry no title
            record["title"] = rng.choice(_TITLES)
        yield record


def write_job_postings(out: IO[bytes], n: int, seed: int = 0, description_chars: int = 1800) -> int:
    """Write *n* records as JSON lines to the binary file *out*; return bytes written."""
    written = 0
    for record in job_postings(n, seed, description_chars):
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        out.write(line)
        written += len(line)
    return written
