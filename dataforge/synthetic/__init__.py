"""Synthetic data shaped like the seeds' data, for the demo, tests and benchmarks.

``python -m dataforge.synthetic jobs ...`` writes JobPosting JSON lines,
``python -m dataforge.synthetic companies ...`` company-name CSV and
``python -m dataforge.synthetic persons ...`` person records (both with the
planted duplicates' truth).  Output is deterministic for a given seed.
"""
from dataforge.synthetic.companies import companies, write_companies
from dataforge.synthetic.jobs import job_postings, write_job_postings
from dataforge.synthetic.persons import persons, write_persons

__all__ = ["companies", "write_companies", "job_postings", "write_job_postings", "persons", "write_persons"]
