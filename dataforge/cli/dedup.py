"""``dataforge dedup match``: options in, one call to :func:`dataforge.dedup.files.match_files`, report out."""
from __future__ import annotations

import click

from dataforge.cli.common import (DataforgeCommand, FiniteFloatRange, Reporter, check_json_outputs, number,
                                  reporting_options)
from dataforge.spark_setup import DEFAULT_SPARK_MASTER
from dataforge.dedup.options import (DEFAULT_COLUMN, DEFAULT_GROUPING, DEFAULT_ID_COLUMN, DEFAULT_NGRAM,
                                     DEFAULT_LEARN_THRESHOLD, DEFAULT_REFINE_THRESHOLD, DEFAULT_THRESHOLD, DEFAULT_TOP, ENGINES, GROUPINGS,
                                     KERNELS, MatchOptions)
from dataforge.errors import UsageError
from dataforge.io import STDIN


@click.group()
def dedup() -> None:
    """Fuzzy de-duplication of company names (character n-gram TF-IDF, sparse top-N cosine)."""


def name_columns(default=(DEFAULT_COLUMN,), shown: str = None):
    """--column and --id-column: which CSV columns are the names and the ids (match, index build, index add)."""
    def decorate(func):
        func = click.option("--id-column", metavar="NAME",
                            help=f"The id column (default: {shown or DEFAULT_ID_COLUMN + ' when present'}, "
                                 f"else the row number from 1).")(func)
        return click.option("--column", "columns", multiple=True, default=list(default), show_default=bool(default),
                            metavar="NAME", help="The name column; repeat it to match on several columns joined by "
                            "spaces (e.g. --column GivenName --column Surname --column Street)."
                            + (f" [default: {shown}]" if shown else ""))(func)
    return decorate


strip_legal_option = click.option("--strip-legal", is_flag=True,
                                  help="Drop legal forms (LIMITED, LTD, PLC, GMBH, ...) before matching.")
encoding_option = click.option("--encoding", default="utf-8", show_default=True,
                               help="Input encoding, e.g. cp1252 or latin-1.")


@dedup.command("match", cls=DataforgeCommand)
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option("-o", "--output", default="-", show_default=True, metavar="PATH",
              help="Pairs CSV (.gz compresses); - for stdout.")
@click.option("--force", is_flag=True, help="Replace outputs that exist.")
@name_columns()
@click.option("--groups", "groups_path", metavar="PATH",
              help="Also write every input row with group_id and group_name.")
@click.option("--grouping", type=click.Choice(GROUPINGS), default=DEFAULT_GROUPING, show_default=True,
              help="How --groups groups the pairs: center keeps a record with the best-paired center, so weak "
                   "links do not chain; components joins every chain of pairs (string_grouper's grouping).")
@click.option("--against", metavar="MASTER",
              help="Match each name only against this master CSV (its ids and names on the right).")
@click.option("--against-column", "against_columns", multiple=True, metavar="NAME",
              help="The master's name column(s) (default: --column).")
@click.option("--index", "index_path", metavar="INDEX",
              help="Match each name against a saved index of a master list (dedup index build) instead of "
                   "--against: the same pairs at the IDF the index froze, in seconds (cron).")
@click.option("--learn", is_flag=True,
              help="Decide the pairs by a model learned from this file (no labels needed): each candidate pair "
                   "gets match_probability and match_weight (docs/dedup.md says where it does well).")
@click.option("--labels", "labels_path", metavar="CSV",
              help="A person's decisions (left_id,right_id,label with yes/no/unsure, as dedup review exports): "
                   "final for those pairs, and they retrain the model. Implies --learn.")
@click.option("--save-model", metavar="PATH", help="Write the learned model (versioned JSON) for --model.")
@click.option("--model", "model_path", metavar="PATH",
              help="Score with a saved model instead of learning one (cron: the same decisions every night). "
                   "Implies --learn.")
@click.option("--explain", is_flag=True,
              help="With --learn: add each measure's part of every pair's match_weight (weight_* columns).")
@click.option("--refine", is_flag=True,
              help="Rescore the candidates on their distinctive words (common words and legal forms count for "
                   "little); recommended for de-duplication.")
@click.option("--threshold", type=FiniteFloatRange(0, 1, max_open=True),
              help=f"Keep pairs scoring above this (0 to below 1). [default: {DEFAULT_THRESHOLD}; "
                   f"with --refine {DEFAULT_REFINE_THRESHOLD}; with --learn a match probability, "
                   f"{DEFAULT_LEARN_THRESHOLD}]")
@click.option("--top", type=click.IntRange(min=0), default=DEFAULT_TOP, show_default=True,
              help="Best matches kept per distinct name, itself included; 0 = every pair above the threshold.")
@click.option("--ngram", type=click.IntRange(min=1),
              help=f"Characters per n-gram feature. [default: {DEFAULT_NGRAM}; with --index, the index's]")
@click.option("--threads", type=click.IntRange(min=0), default=0, show_default=True, help="Threads for the product; 0 = every core.")
@click.option("--kernel", type=click.Choice(KERNELS), default="auto", show_default=True,
              help="How the product is computed: pruned skips pairs that cannot reach the threshold, brute is "
                   "the seed's; same pairs and scores (pruned keeps all names tied for a last place). auto = pruned "
                   "when the threshold is above 0.")
@strip_legal_option
@click.option("--phonetic", is_flag=True, help="Add Double Metaphone codes of each word as features.")
@click.option("--also", "also_columns", multiple=True, metavar="COLUMN",
              help="Keep only pairs that also agree on this column (repeatable), e.g. RegAddress.PostCode; "
                   "with --learn, evidence in the model (exact, close or different) instead of a filter.")
@encoding_option
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where the product runs: this machine, or Spark (same pairs and groups; inputs and outputs "
                   "may then be hdfs://, s3a://, file:// paths).")
@click.option("--spark-master", metavar="URL",
              help=f"Spark master for --engine spark: local[N], yarn, spark://HOST:PORT, k8s://URL "
                   f"(default {DEFAULT_SPARK_MASTER}).")
@reporting_options
def match_command(inputs, output, force, columns, id_column, groups_path, grouping, against, against_columns, index_path, learn,
                  labels_path, save_model, model_path, explain, refine, threshold, top, ngram, threads, kernel, strip_legal, phonetic, also_columns, encoding, engine,
                  spark_master, as_json, quiet, verbose, debug):
    """Find pairs of records whose names are alike; optionally group them.

    Reads CSV (.csv, .csv.gz, .tsv; no INPUT or - reads stdin) and writes one
    row per pair of distinct records: left_id, left_name, right_id,
    right_name, similarity, best first. Records with the same name pair at
    1.0. The defaults reproduce the seed notebook's scores (3-gram TF-IDF,
    top 10 per name above 0.6); --refine rescores them on distinctive words,
    the recommended mode for de-duplication. --learn decides the pairs by a
    model learned from the file itself, adding match_probability and
    match_weight; --labels corrects it with a person's decisions,
    --save-model and --model reuse it. See docs/dedup.md.

    \b
    Example:
        dataforge dedup match companies.csv -o pairs.csv
        dataforge dedup match companies.csv --refine --groups groups.csv -o pairs.csv
        dataforge dedup match companies.csv --learn --labels labels.csv --save-model m.json -o pairs.csv
        dataforge dedup match tonight.csv --model m.json --groups groups.csv -o pairs.csv
        dataforge dedup match crm.csv --column Name --id-column Id --groups groups.csv -o pairs.csv
        dataforge dedup match new.csv --against master.csv --threshold 0.8 -o -
        dataforge dedup match new.csv --index master.dfidx --groups groups.csv -o pairs.csv
        dataforge dedup match hdfs:///data/companies.csv --engine spark --spark-master yarn \\
            -o hdfs:///out/pairs.csv
    """
    from dataforge.dedup.files import match_files

    reporter = Reporter(quiet, as_json, verbose)
    check_json_outputs(as_json, output, groups_path)
    options = MatchOptions(threshold=threshold, top=top, ngram=ngram, threads=threads, strip_legal=strip_legal,
                           phonetic=phonetic, kernel=kernel, refine=refine, learn=learn)
    with reporter.progress() as progress:
        summary = match_files(inputs, output, columns=columns, id_column=id_column, groups=groups_path,
                              grouping=grouping, against=against, against_columns=against_columns,
                              also=also_columns, encoding=encoding, options=options, engine=engine,
                              spark_master=spark_master, spark_quiet=not verbose, force=force, labels=labels_path,
                              model=model_path, save_model=save_model, explain=explain, index=index_path,
                              progress=progress)
    for note in summary.notes:
        reporter.say(f"Note: {note}")
    for warning in summary.warnings:
        reporter.warn(warning)
    reporter.summary(summary.as_dict())
    if not as_json:
        skipped = f" ({number(summary.skipped_empty_names)} with no name skipped)" if summary.skipped_empty_names else ""
        groups = f", {number(summary.groups)} groups" if summary.groups is not None else ""
        reporter.say(f"dedup match: {number(summary.rows)} rows, {number(summary.distinct_names)} distinct "
                     f"names{skipped}, {number(summary.pairs)} pairs{groups}{_learned(summary.model)} "
                     f"-> {', '.join('stdout' if o == STDIN else o for o in summary.outputs)} "
                     f"({summary.seconds:.2f} s)")


def _learned(model) -> str:
    """What the summary line says of a learned model."""
    if not model:
        return ""
    if model["source"] != "learned from this run":
        return f", decided by {model['source']}"
    labels = f" and {number(model['labels'])} labels" if model.get("labels") else ""
    return (f", learned from {number(model['trained_pairs'])} candidate pairs{labels} "
            f"(a candidate matches with prior {model['prior']:.2g})")
