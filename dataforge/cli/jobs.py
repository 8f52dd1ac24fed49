"""``dataforge jobs filter|sample|split|topn``: parse options, call run_job, report."""
from __future__ import annotations

from typing import Callable

import click

from dataforge.cli.common import DataforgeCommand, FiniteFloatRange, Reporter, number, reporting_options
from dataforge.errors import UsageError
from dataforge.jobs.launch import DEFAULT_RUNNER, RUNNERS, JobSummary, run_job
from dataforge.jobs.records import split_path
from dataforge.jobs.where import parse_condition


class _Checked(click.ParamType):
    """A text option that *check* accepts (it raises ValueError naming the problem)."""

    def __init__(self, name: str, check: Callable[[str], object]):
        self.name = name
        self.check = check

    def convert(self, value, param, ctx):
        try:
            self.check(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)
        return value


WHERE = _Checked("condition", parse_condition)
FIELD_PATH = _Checked("path", split_path)


@click.group()
def jobs() -> None:
    """MapReduce filtering patterns over JSON-lines records, as mrjob jobs.

    Each job runs in-process (-r inline), on all local cores (-r local), or
    on Spark, Hadoop or EMR with the same code. Input lines that are not JSON
    objects are skipped, counted, and reported; --strict makes them an error.
    """


def job_options(output_help: str, output_default: str | None = "-") -> Callable:
    """Inputs, output and runner options shared by the four jobs."""

    def decorate(func: Callable) -> Callable:
        for option in reversed([
            click.argument("inputs", nargs=-1, metavar="[INPUT]..."),
            click.option("-o", "--output", default=output_default, metavar="PATH", help=output_help),
            click.option("--force", is_flag=True, help="Replace the output if it exists."),
            click.option("-r", "--runner", type=click.Choice(RUNNERS), default=DEFAULT_RUNNER, show_default=True,
                         help="mrjob runner; auto = local (all cores) for 100 MB of input or more, else inline."),
            click.option("-c", "--conf-path", multiple=True, metavar="FILE",
                         help="mrjob.conf to read (repeatable); default: mrjob's own search."),
            click.option("--num-cores", type=click.IntRange(min=1), metavar="N",
                         help="Parallel tasks for -r local (default: all cores)."),
            click.option("--spark-master", metavar="URL",
                         help="Spark master for -r spark: local[N], yarn, spark://HOST:PORT, k8s://URL "
                              "(default: mrjob.conf's spark_master, else local[*])."),
            click.option("--mrjob-arg", "mrjob_args", multiple=True, metavar="ARG",
                         help="Pass ARG to mrjob as is, e.g. --mrjob-arg=--cleanup=NONE (repeatable)."),
            click.option("--strict", is_flag=True, help="Fail (exit 1, nothing written) if any line is skipped."),
            reporting_options,
        ]):
            func = option(func)
        return func

    return decorate


def _run(job_name: str, job_class_path: str, job_args: list[str], options: dict, split_dir: bool = False) -> None:
    reporter = Reporter(options["quiet"], options["as_json"], options["verbose"])
    output = options["output"]
    if options["as_json"] and output == "-":
        raise UsageError("--json prints its summary on stdout, so the output must go to a file: give -o PATH")
    runner_args: list[str] = []
    for conf in options["conf_path"]:
        runner_args += ["--conf-path", conf]
    if options["num_cores"]:
        runner_args += ["--num-cores", str(options["num_cores"])]
    if options["spark_master"]:
        if options["runner"] != "spark":
            raise UsageError("--spark-master needs -r spark")
        runner_args += ["--spark-master", options["spark_master"]]
    runner_args += list(options["mrjob_args"])
    module_name, class_name = job_class_path.rsplit(".", 1)
    job_class = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    with reporter.progress() as progress:
        summary = run_job(job_class, job_args, options["inputs"], output, runner=options["runner"],
                          runner_args=runner_args, force=options["force"], strict=options["strict"],
                          split_dir=split_dir, progress=progress)
    _report(job_name, summary, reporter)


def _report(job_name: str, summary: JobSummary, reporter: Reporter) -> None:
    if summary.written_by_side is not None and len(summary.outputs) == len(summary.written_by_side):
        wrote = " and ".join(f"{number(n)} to {path}" for (side, n), path in
                             zip(summary.written_by_side.items(), summary.outputs))
    else:
        where = "stdout" if summary.outputs == ["-"] else ", ".join(summary.outputs)
        wrote = f"{number(summary.written)} to {where}"
    reporter.say(f"{job_name}: read {number(summary.read)} lines, wrote {wrote} "
                 f"({summary.runner} runner, {summary.seconds:.2f} s)")
    if summary.skipped:
        reasons = ", ".join(f"{reason} {number(n)}" for reason, n in summary.skipped.items())
        reporter.warn(f"skipped {number(summary.skipped_total)} lines ({reasons}); first at {summary.first_skip}")
    if summary.unranked:
        reasons = ", ".join(f"{reason} {number(n)}" for reason, n in summary.unranked.items())
        reporter.say(f"{job_name}: {number(sum(summary.unranked.values()))} records not ranked ({reasons})")
    reporter.summary({"command": f"jobs {job_name}", **summary.to_dict()})


@jobs.command("filter", cls=DataforgeCommand)
@click.option("--title", metavar="TEXT", help="Keep records whose title contains TEXT (case-insensitive).")
@click.option("--where", "where", type=WHERE, multiple=True, metavar="EXPR",
              help="Condition on a dotted path, repeatable and AND-ed: PATH=TEXT, PATH!=TEXT, "
                   "PATH~REGEX, PATH>=N (also >, <, <=), PATH? (present and non-empty).")
@job_options("Output file (.gz compresses), or - for stdout.")
def filter_command(title: str | None, where: tuple[str, ...], **options) -> None:
    """Keep the records that match; kept lines are written byte for byte.

    With neither --title nor --where, every well-formed record is kept (a
    cleaning pass that drops malformed lines).

    \b
    Example:
        dataforge jobs filter data/ --title "data scientist" -o ds.jsonl
        dataforge jobs filter 'logs/*.jsonl.gz' \\
            --where 'jobLocation.address.addressRegion=CA' \\
            --where 'estimatedSalary.value.maxValue>=150000' -o - | head
    """
    args = ["--title", title] if title is not None else []
    for expression in where:
        args += ["--where", expression]
    _run("filter", "dataforge.jobs.filter.MRFilter", args, options)


@jobs.command("sample", cls=DataforgeCommand)
@click.option("-f", "--fraction", type=FiniteFloatRange(0, 1), metavar="F",
              help="Keep each record with probability F (0 to 1).")
@click.option("--size", type=click.IntRange(min=1), metavar="N",
              help="Keep exactly N records, uniformly at random (all of them if fewer).")
@click.option("--seed", type=int, metavar="N",
              help="Same sample on every run and every runner (hash of seed and record).")
@job_options("Output file (.gz compresses), or - for stdout.")
def sample_command(fraction: float | None, size: int | None, seed: int | None, **options) -> None:
    """Random sample: each record with probability F, or exactly N records.

    Without --seed the choice uses Python's random numbers and differs from
    run to run; with --seed it depends only on the seed and the record's bytes.

    \b
    Example:
        dataforge jobs sample data/ --fraction 0.1 --seed 42 -o sample.jsonl.gz
        dataforge jobs sample data/ --size 1000 --seed 7 -o - | head -3
    """
    if (fraction is None) == (size is None):
        raise UsageError("give exactly one of --fraction or --size")
    args = ["--fraction", repr(fraction)] if fraction is not None else ["--size", str(size)]
    if seed is not None:
        args += ["--seed", str(seed)]
    _run("sample", "dataforge.jobs.sample.MRSample", args, options)


@jobs.command("split", cls=DataforgeCommand)
@click.option("-t", "--test-size", type=FiniteFloatRange(0, 1), required=True, metavar="F",
              help="Fraction of records for the test side, read as a decimal (0.3 = 3/10).")
@click.option("--key", type=FIELD_PATH, default="jobId", show_default=True, metavar="PATH",
              help="Field hashed to choose the side (dotted path); missing counts as 0.")
@click.option("-s", "--split", "side", type=click.Choice(["train", "test"]),
              help="Write only this side, to -o PATH (a file, or - for stdout).")
@job_options("Directory for train.jsonl and test.jsonl; with --split, a file or -.", output_default=None)
def split_command(test_size: float, key: str, side: str | None, **options) -> None:
    """Reproducible train/test split by the MD5 of each record's key.

    A record is in test when int(md5(str(key)), 16) % denominator < numerator,
    the fraction read as a decimal, exactly as the seed notebook's rule: the
    same record lands on the same side on every run and every runner.

    \b
    Example:
        dataforge jobs split data/ --test-size 0.3 -o split/
        zcat day.jsonl.gz | dataforge jobs split --test-size 0.3 -o out/
        dataforge jobs split data/ --test-size 0.3 --split test -o test.jsonl
    """
    if options["output"] is None:
        if side is None:
            raise UsageError("give -o DIR for train.jsonl and test.jsonl")
        options["output"] = "-"
    args = ["--test-size", repr(test_size), "--key", key]
    if side is not None:
        args += ["--split", side]
    _run("split", "dataforge.jobs.split.MRSplit", args, options, split_dir=side is None)


@jobs.command("topn", cls=DataforgeCommand)
@click.option("-n", "--top-n", "top_n", type=click.IntRange(min=1), default=10, show_default=True, metavar="N",
              help="How many records to keep.")
@click.option("--by", type=FIELD_PATH, multiple=True, metavar="PATH",
              help="Numeric field to rank by (repeatable: a tuple, compared left to right). "
                   "Default: estimatedSalary.value.maxValue then .minValue.")
@click.option("--values", is_flag=True, help="Write the value tuples (seed 3.1), not the records.")
@job_options("Output file (.gz compresses), or - for stdout.")
def topn_command(top_n: int, by: tuple[str, ...], values: bool, **options) -> None:
    """The N records with the largest values, largest first.

    Numbers may be JSON numbers or strings that parse as numbers. Records with
    a missing or non-numeric value are left out and counted. Ties are broken
    by the record's bytes, so the result is the same on every runner.

    \b
    Example:
        dataforge jobs topn data/ -n 10 -o top10.jsonl
        dataforge jobs topn data/ -n 5 --by estimatedSalary.value.minValue --values -o -
    """
    args = ["--top-n", str(top_n)]
    for path in by:
        args += ["--by", path]
    if values:
        args.append("--values")
    _run("topn", "dataforge.jobs.topn.MRTopN", args, options)
