"""Quality benchmark: precision, recall and F1 of pairs and groups against planted truth.

Two generated sets with their truth (dataforge.synthetic): Companies-House-like
names (`companies(..., unambiguous=True)`: planted typos, LTD/LIMITED, &/AND,
a dropped generic word, punctuation, a leading THE, doubled spaces, exact
repeats; no two firms the same under the register's "same as" rule) and
person records (given name, surname, street, town: typos, swapped given name
and surname, abbreviated streets, dropped house numbers; families at one
address).  For the seed's scores and for `--refine`, over a range of
thresholds: pair quality, and group quality and the largest group for each
grouping.  Also the time of `--refine` against the default mode on the same
names.  Used by `make bench`; `--leiden` adds Leiden clustering (needs
`pip install leidenalg`) to the grouping comparison.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from dataforge.dedup.evaluate import group_quality, largest, pair_quality
from dataforge.dedup.group import center_groups, component_groups
from dataforge.dedup.match import find_matches
from dataforge.dedup.options import DEFAULT_REFINE_THRESHOLD, DEFAULT_THRESHOLD, REFINE_CANDIDATE_THRESHOLD, MatchOptions
from dataforge.synthetic.companies import companies
from dataforge.synthetic.persons import persons

SEED_THRESHOLDS = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
REFINE_THRESHOLDS = (0.7, 0.8, 0.85, 0.9, 0.95)


def company_set(n: int, seed: int):
    records = list(companies(n, seed, unambiguous=True))
    return pd.Series([c.name for c in records]), None, np.array([c.entity for c in records])


def person_set(n: int, seed: int):
    records = list(persons(n, seed))
    names = pd.Series([f"{p.given} {p.surname} {p.street}" for p in records])
    return names, pd.DataFrame({"Town": [p.town for p in records]}), np.array([p.entity for p in records])


def leiden_groups(n: int, left: np.ndarray, right: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Leiden with the constant Potts model at the threshold (leidenalg on python-igraph)."""
    import igraph
    import leidenalg

    graph = igraph.Graph(n=n, edges=np.column_stack([left, right]).tolist(), directed=False)
    partition = leidenalg.find_partition(graph, leidenalg.CPMVertexPartition, weights=scores.tolist(),
                                         resolution_parameter=threshold, seed=1)
    return np.asarray(partition.membership)


def timed(names, also, options: MatchOptions, repeats: int):
    """The matches of the fastest of *repeats* runs, and its seconds."""
    best = None
    for _ in range(repeats):
        started = time.perf_counter()
        matches = find_matches(names, also=also, options=options)
        seconds = time.perf_counter() - started
        if best is None or seconds < best[1]:
            best = (matches, seconds)
    return best


def f(q) -> str:
    return f"{q.precision:.3f} / {q.recall:.3f} / **{q.f1:.3f}**" if q.f1 >= 0.8 else \
        f"{q.precision:.3f} / {q.recall:.3f} / {q.f1:.3f}"


def evaluate(title: str, names, also, entity, threads: int, repeats: int, leiden: bool) -> tuple[list[str], dict]:
    n = len(names)
    biggest = largest(entity)
    # warm up (numba's compiled kernel loads once a process), then time the two modes alternately
    find_matches(names.head(2000), options=MatchOptions(threads=threads))
    seed_matches, seed_s = timed(names, also, MatchOptions(threads=threads), repeats)
    refine_matches, refine_s = timed(names, also, MatchOptions(threads=threads, refine=True), repeats)
    # every threshold's pairs are a subset of the lowest threshold's run (top-N, then a cut)
    low_seed, _ = timed(names, also, MatchOptions(threads=threads, threshold=min(SEED_THRESHOLDS)), 1)
    low_refine, _ = timed(names, also, MatchOptions(threads=threads, refine=True,
                                                    threshold=min(REFINE_THRESHOLDS)), 1)
    lines = [f"### {title}", "",
             f"{n:,} records, {len(np.unique(entity)):,} true entities, {len(names.unique()):,} distinct names; "
             f"the largest true entity has {biggest} records. Each cell: precision / recall / F1 (pair counting; "
             "F1 of 0.8 or more in bold); largest: records in the biggest group.", "",
             "| mode | threshold | pairs | pairs P / R / F1 | center groups P / R / F1 | largest | "
             "components P / R / F1 | largest |" + (" Leiden (CPM) P / R / F1 | largest |" if leiden else ""),
             "|---|---:|---:|---|---|---:|---|---:|" + ("---|---:|" if leiden else "")]
    at_default = {}
    group_seconds = {}
    for mode, matches, thresholds, default in (("seed", low_seed, SEED_THRESHOLDS, DEFAULT_THRESHOLD),
                                               ("`--refine`", low_refine, REFINE_THRESHOLDS,
                                                DEFAULT_REFINE_THRESHOLD)):
        scores = matches.pairs["similarity"].to_numpy()
        for threshold in thresholds:
            keep = scores > threshold
            left, right, kept = matches.left[keep], matches.right[keep], scores[keep]
            pairs = pair_quality(left, right, entity)
            started = time.perf_counter()
            center = center_groups(n, left, right, kept)
            group_seconds.setdefault((mode, threshold), {})["center"] = time.perf_counter() - started
            started = time.perf_counter()
            components = component_groups(n, left, right)
            group_seconds[(mode, threshold)]["components"] = time.perf_counter() - started
            cq, kq = group_quality(center, entity), group_quality(components, entity)
            row = (f"| {mode} | {threshold:.2f}{' (default)' if threshold == default else ''} | {len(left):,} | "
                   f"{f(pairs)} | {f(cq)} | {largest(center):,} | {f(kq)} | {largest(components):,} |")
            if leiden:
                started = time.perf_counter()
                lg = leiden_groups(n, left, right, kept, threshold)
                group_seconds[(mode, threshold)]["leiden"] = time.perf_counter() - started
                row += f" {f(group_quality(lg, entity))} | {largest(lg):,} |"
            lines.append(row)
            if threshold == default:
                at_default[mode] = dict(pairs=pairs, center=cq, components=kq, largest=largest(center),
                                        largest_components=largest(components))
    refine = at_default["`--refine`"]
    grouping = group_seconds[("`--refine`", DEFAULT_REFINE_THRESHOLD)]
    lines += ["", f"At the defaults: the seed's pairs (0.6) {at_default['seed']['pairs'].f1:.3f} F1, "
                  f"their components' largest group {at_default['seed']['largest_components']:,} records, center "
                  f"clustering's {at_default['seed']['largest']:,}. `--refine` "
                  f"({DEFAULT_REFINE_THRESHOLD}) with center groups: pair F1 {refine['pairs'].f1:.3f}, group F1 "
                  f"{refine['center'].f1:.3f}, largest group {refine['largest']} (limit 2 x {biggest} = "
                  f"{2 * biggest}).", "",
              "| time (best of %d, %d threads) | default mode | `--refine` | ratio |" % (repeats, threads),
              "|---|---:|---:|---:|",
              f"| matching (`find_matches`) | {seed_s:.2f} s | {refine_s:.2f} s | {refine_s / seed_s:.2f}x |",
              f"| of which: 3-gram product | {seed_matches.seconds['product']:.2f} s | "
              f"{refine_matches.seconds['product']:.2f} s (candidates above {REFINE_CANDIDATE_THRESHOLD}) | |",
              f"| of which: rescoring | | {refine_matches.seconds.get('refine', 0):.2f} s | |",
              f"| grouping the `--refine` pairs: center / components"
              + (" / Leiden" if leiden else "") + " | | "
              + " / ".join(f"{grouping[k]:.3f} s" for k in (["center", "components"] + (["leiden"] if leiden else [])))
              + " | |", ""]
    summary = dict(pair_f1=refine["pairs"].f1, group_f1=refine["center"].f1, largest=refine["largest"],
                   limit=2 * biggest, ratio=refine_s / seed_s)
    print(f"{title}: {summary}", file=sys.stderr)
    return lines, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each mode; the fastest counts")
    parser.add_argument("--leiden", action="store_true", help="also Leiden (CPM) groups; needs leidenalg")
    args = parser.parse_args()
    out = [f"Generated with truth: `companies({args.records}, seed=2024, unambiguous=True)` and "
           f"`persons({args.records}, seed=2025)` (dataforge.synthetic). Persons are matched on "
           "\"GivenName Surname Street\" with `--also Town` (the CLI: `--column GivenName --column Surname "
           "--column Street --also Town`). Groups are scored as the pairs they imply. Timings include "
           "vectorising; the machine is shared, so compare the ratio.", ""]
    results = {}
    for title, (names, also, entity) in (("Company names", company_set(args.records, 2024)),
                                         ("Person records", person_set(args.records, 2025))):
        lines, results[title] = evaluate(title, names, also, entity, args.threads, args.repeats, args.leiden)
        out += lines
    met = all(r["pair_f1"] >= 0.8 and r["group_f1"] >= 0.8 and r["largest"] <= r["limit"] for r in results.values())
    ratios = [r["ratio"] for r in results.values()]
    out.append(f"Targets (`--refine` at its default threshold, center groups): pair F1 >= 0.8, group F1 >= 0.8, "
               f"no group over twice the largest true entity: {'met' if met else 'NOT met'} on both sets; "
               f"`--refine` time <= 2x the default mode: {ratios[0]:.2f}x and {ratios[1]:.2f}x "
               f"({'met' if max(ratios) <= 2 else 'NOT met'}).")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
