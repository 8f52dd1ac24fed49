"""A saved match index: a master list's TF-IDF and the pruned kernel's structures on disk, for cron.

``dedup match new.csv --against master.csv`` fits the TF-IDF and prepares the
master side of the product on every run.  An index does that once
(:func:`build_index`); a query (:meth:`MatchIndex.candidate_pairs`) then
vectorises only the new names, at the IDF the index froze, and runs the pruned
product (:func:`~dataforge.dedup.pruned.pruned_product`) against the master's
memory-mapped arrays.  :func:`add_to_index` appends records without a
rebuild, keeping the frozen IDF and measuring how far it has drifted.

An index is a directory::

    manifest.json      format, version, options, counts, drift, and each array's dtype, shape and crc32
    gen-<hex>/*.npy    the arrays of one generation: plain .npy files, memory-mapped, never pickled
    lock               held (fcntl.flock) by the build or add writing a new generation

A writer fills a new generation beside the current one, then replaces
manifest.json atomically (:class:`~dataforge.io.AtomicFile`): that rename is
the commit.  Until it, the old manifest names the old generation, untouched;
after it, the old generation is removed.  A writer killed on the way leaves a
generation that no manifest names, which the next writer removes.  Every
array is checked when the index is opened (dtype, shape, crc32, and that its
offsets and indices stay in bounds), so a damaged index is an error, never
wrong pairs.
"""
from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import shutil
import zlib
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np
import orjson
import pandas as pd

from dataforge.dedup.options import DEFAULT_NGRAM, DEFAULT_THRESHOLD, MatchOptions
from dataforge.errors import DataforgeError, IndexDamagedError, InputPathError, UsageError
from dataforge.io import AtomicDirectory, AtomicFile
from dataforge.progress import Progress

FORMAT = "dataforge-match-index"
VERSION = 1
MANIFEST = "manifest.json"
LOCK = "lock"
GENERATION_PREFIX = "gen-"
# the kernel's common/rare split is chosen for this threshold; queries may use any (it changes speed only)
TUNED_THRESHOLD = DEFAULT_THRESHOLD
# `index add` advises a rebuild past either: the mean relative change of an n-gram's weight between the
# frozen IDF and a refit's, and the names added since the build as a share of the names the IDF was fitted on
REBUILD_DRIFT = 0.02
REBUILD_GROWTH = 0.2
CHUNK = 1 << 24  # bytes a crc32 step: checksums run over the memory map without copying it

# the arrays of a generation and their dtypes; "per" says what each has one entry of
ARRAYS = {
    "vocabulary": "<i8",  # the n-gram code of each feature (column), base 128 (dataforge.dedup.vectorise)
    "idf": "<f8",  # per feature: the frozen IDF (the build's; an added feature has df 0 there)
    "df": "<i8",  # per feature: distinct names holding it now (build and adds), for the drift
    "common": "|b1",  # per feature: in the pruned kernel's common part
    "common_indptr": "<i8", "common_indices": None, "common_data": "<f8",  # per name: its common part (CSR)
    "norm": "<f8",  # per name: the norm of its common part
    "postings_indptr": "<i8", "postings_indices": None, "postings_data": "<f8",  # per feature: its rare rows
    "name_offsets": "<i8", "name_bytes": "|u1",  # the distinct names, UTF-8, in the index's order
    "record_indptr": "<i8", "records": "<i8",  # per name: the master records that carry it
    "id_offsets": "<i8", "id_bytes": "|u1",  # every master record's id, as text
}
INDEX_DTYPES = ("<i4", "<i8")  # scipy keeps indices int32 where they fit


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def _crc(array: np.ndarray) -> int:
    view = memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
    crc = 0
    for start in range(0, len(view), CHUNK):
        crc = zlib.crc32(view[start:start + CHUNK], crc)
    return crc


def _manifest_checksum(manifest: dict) -> int:
    rest = {k: v for k, v in manifest.items() if k != "checksum"}
    return zlib.crc32(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS))


def _text_arrays(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as (offsets, UTF-8 bytes): string i is bytes[offsets[i]:offsets[i + 1]]."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return offsets, np.frombuffer(b"".join(encoded), np.uint8)


def _texts(offsets: np.ndarray, blob: np.ndarray, which: np.ndarray) -> np.ndarray:
    """The strings at positions *which*, as an object array (slices of one memoryview: a memmap's
    own slicing costs a Python object a string, measured 0.8 s for 200,000 names)."""
    which = np.asarray(which, np.int64)
    starts = np.asarray(offsets[which]).tolist()
    ends = np.asarray(offsets[which + 1]).tolist()
    view = memoryview(np.ascontiguousarray(blob)) if len(blob) else memoryview(b"")
    out = np.empty(len(which), object)
    out[:] = [str(view[a:b], "utf-8") for a, b in zip(starts, ends)]
    return out


def idf_drift(idf: np.ndarray, df: np.ndarray, names: int) -> float:
    """How far the frozen *idf* is from a refit's over *names* distinct names with document
    frequencies *df*: the mean relative difference of an n-gram's weight, over the names' n-grams."""
    from dataforge.dedup.vectorise import smooth_idf

    if not df.sum():
        return 0.0
    now = smooth_idf(df, names)
    return float((df * np.abs(idf - now) / now).sum() / df.sum())


def check_index_options(options: MatchOptions) -> None:
    """Refuse the options an index cannot be built or queried with (before any work)."""
    from dataforge.dedup.vectorise import MAX_NGRAM

    if options.phonetic:
        raise UsageError("--phonetic is not supported with an index: its codes are not n-grams")
    if options.ngram is not None and options.ngram > MAX_NGRAM:
        raise UsageError(f"an index holds n-grams of 1 to {MAX_NGRAM} characters, not --ngram {options.ngram}")


def query_options(path: str, manifest: dict, options: MatchOptions) -> MatchOptions:
    """The run's options with the vectorising options of the index at *path* (whose *manifest* is
    given); one that conflicts with the index's is a UsageError.  ``ngram=None`` and
    ``strip_legal=False`` mean "the index's"; the threshold, top and threads are the run's own."""
    check_index_options(options)
    built = manifest["options"]
    if options.ngram is not None and options.ngram != built["ngram"]:
        raise UsageError(f"--ngram {options.ngram} conflicts with index {path}, built with --ngram "
                         f"{built['ngram']}: leave --ngram out, or build another index")
    if options.strip_legal and not built["strip_legal"]:
        raise UsageError(f"--strip-legal conflicts with index {path}, built without it: leave it out, "
                         f"or build another index with --strip-legal")
    if options.refine:
        raise UsageError("--refine is not supported with --index yet: match with --against")
    if options.kernel == "brute":
        raise UsageError("--kernel brute does not apply to --index: the index holds the pruned kernel's "
                         "structures (same pairs and scores)")
    return options._replace(ngram=built["ngram"], strip_legal=built["strip_legal"]).check()


class MatchIndex:
    """An opened index: its manifest and its arrays, memory-mapped and checked."""

    def __init__(self, path: str, manifest: dict, arrays: dict):
        self.path = path
        self.manifest = manifest
        self.arrays = arrays

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str) -> "MatchIndex":
        """Open and check the index at *path*.  A missing path is a UsageError; a damaged one
        (truncated, corrupt, another format version) an IndexDamagedError."""
        for attempt in range(2):
            manifest = read_manifest(path)
            try:
                return cls(path, manifest, _load_arrays(path, manifest))
            except FileNotFoundError as e:
                # a writer may have committed and removed this generation since the manifest was read
                if attempt == 0 and read_manifest(path).get("generation") != manifest.get("generation"):
                    continue
                raise IndexDamagedError(f"index {path} is damaged: {os.path.basename(e.filename or '')} "
                                        f"is missing") from None
        raise AssertionError("unreachable")

    @property
    def records(self) -> int:
        return self.manifest["records"]

    @property
    def distinct_names(self) -> int:
        return self.manifest["distinct_names"]

    def query_options(self, options: MatchOptions) -> MatchOptions:
        """The run's options with the index's vectorising options (see :func:`query_options`)."""
        return query_options(self.path, self.manifest, options)

    # ------------------------------------------------------------------ querying

    def names_at(self, which: np.ndarray) -> np.ndarray:
        return _texts(self.arrays["name_offsets"], self.arrays["name_bytes"], which)

    def ids_at(self, which: np.ndarray) -> np.ndarray:
        return _texts(self.arrays["id_offsets"], self.arrays["id_bytes"], which)

    def right_side(self):
        """The master side of the pruned product, as the index holds it."""
        from dataforge.dedup.pruned import RightSide

        return RightSide(*(self.arrays[name] for name in RightSide._fields))

    def vectors(self, names: Sequence[str], options: MatchOptions):
        """The TF-IDF of *names* at the frozen IDF, over the index's features."""
        from dataforge.dedup.vectorise import frozen_tfidf

        return frozen_tfidf(names, self.arrays["vocabulary"], self.arrays["idf"], self.manifest["idf_names"],
                            options.ngram, options.strip_legal)

    def candidate_pairs(self, names: pd.Series, options: MatchOptions, progress: Progress, seconds: dict):
        """:func:`~dataforge.dedup.match.candidate_pairs` of *names* against the indexed master: (the
        names grouped by distinct name, left rows, right master records, scores); the same name is 1.0."""
        import time

        from dataforge.dedup.match import _ByName
        from dataforge.dedup.pruned import by_rarest_feature, pruned_product, split_common
        from dataforge.dedup.kernel import resolve_threads

        started = time.perf_counter()
        mine = _ByName(names)
        vectors = self.vectors(list(mine.distinct), options)
        order = by_rarest_feature(vectors, self.arrays["df"])  # locality, as in pruned_top_n
        l_rare, l_common, l_norm = split_common(vectors[order], self.arrays["common"])
        seconds["vectorise"] = time.perf_counter() - started
        rows, cols, scores = pruned_product(l_rare, l_common, l_norm, self.right_side(), options.top,
                                            options.candidate_threshold, resolve_threads(options.threads),
                                            options.block_rows, progress)
        rows = order[rows]
        seconds["product"] = time.perf_counter() - started - seconds["vectorise"]
        used, where = np.unique(cols, return_inverse=True)
        scores = np.where(mine.distinct[rows] == self.names_at(used)[where], 1.0, scores)  # the same name is 1.0
        theirs = _Saved(self.arrays["record_indptr"], self.arrays["records"])
        left, right, k = mine.cross(rows, theirs, cols)
        return mine, left, right, scores[k]

    def master(self, right: np.ndarray) -> tuple[np.ndarray, pd.Series, pd.Series]:
        """The master records *right* as (their positions among the records used, names, ids): only
        the records that are in pairs are read from the index."""
        used, where = np.unique(right, return_inverse=True)
        name_of = np.repeat(np.arange(self.distinct_names), np.diff(self.arrays["record_indptr"]))
        record_names = np.empty(self.records, np.int64)
        record_names[self.arrays["records"]] = name_of
        names = self.names_at(record_names[used]) if len(used) else np.empty(0, object)
        return where.reshape(-1), pd.Series(names, dtype=object), pd.Series(self.ids_at(used), dtype=object)

    # ------------------------------------------------------------------ describing

    def sizes(self) -> dict:
        return {name: int(a.nbytes) for name, a in self.arrays.items()}

    def info(self) -> dict:
        """The manifest less its array table, with the size on disk and the drift."""
        data = {k: v for k, v in self.manifest.items() if k not in ("arrays", "checksum")}
        data["path"] = self.path
        data["bytes"] = sum(self.sizes().values())
        data["verified"] = True
        return data


class _Saved:
    """The master's records grouped by distinct name, as :meth:`_ByName.cross` reads them."""

    def __init__(self, indptr: np.ndarray, records: np.ndarray):
        self.count = np.diff(indptr)
        self.start = indptr[:-1]
        self.rows = records


def read_manifest(path: str) -> dict:
    """The index's manifest, checked (format, version, checksum)."""
    if not os.path.exists(path):
        raise InputPathError(f"index not found: {path}")
    target = os.path.join(path, MANIFEST)
    try:
        with open(target, "rb") as f:
            raw = f.read(16 * 1024 * 1024 + 1)
    except FileNotFoundError:
        raise IndexDamagedError(f"{path} is not a dataforge index (no {MANIFEST}; build one with "
                                f"dataforge dedup index build)") from None
    except OSError as e:
        raise IndexDamagedError(f"cannot read index {path}: {e.strerror or e}") from None
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise IndexDamagedError(f"index {path} is damaged: {MANIFEST} is not JSON (truncated?)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexDamagedError(f"{path} is not a dataforge match index ({MANIFEST} is not {FORMAT!r})")
    if manifest.get("version") != VERSION:
        raise IndexDamagedError(f"index {path} is format version {manifest.get('version')!r}; this dataforge reads "
                                f"version {VERSION}: rebuild it with dataforge dedup index build")
    if manifest.get("checksum") != _manifest_checksum(manifest):
        raise IndexDamagedError(f"index {path} is damaged: {MANIFEST} does not match its checksum")
    return manifest


def _load_arrays(path: str, manifest: dict) -> dict:
    """Every array of the manifest's generation, memory-mapped (copy-on-write: never written back),
    each checked against the manifest before it is used."""
    generation = os.path.join(path, manifest["generation"])
    arrays = {}
    for name, meta in manifest["arrays"].items():
        file = os.path.join(generation, f"{name}.npy")
        try:
            array = np.load(file, mmap_mode="c", allow_pickle=False)
        except FileNotFoundError:
            raise
        except (ValueError, OSError, EOFError) as e:
            raise IndexDamagedError(f"index {path} is damaged: {name}.npy cannot be read "
                                    f"({str(e).splitlines()[0][:80]})") from None
        if array.dtype.str != meta["dtype"] or list(array.shape) != meta["shape"]:
            raise IndexDamagedError(f"index {path} is damaged: {name}.npy is {array.dtype.str} {list(array.shape)}, "
                                    f"the manifest says {meta['dtype']} {meta['shape']}")
        if _crc(array) != meta["crc32"]:
            raise IndexDamagedError(f"index {path} is damaged: {name}.npy does not match its checksum")
        arrays[name] = array
    missing = set(ARRAYS) - set(arrays)
    if missing:
        raise IndexDamagedError(f"index {path} is damaged: its manifest lacks {', '.join(sorted(missing))}")
    _check_structure(path, manifest, arrays)
    return arrays


def _check_structure(path: str, manifest: dict, a: dict) -> None:
    """Offsets rise from 0 to their array's end and indices stay in bounds, so that nothing reads
    outside an array (the kernel does not check bounds), whoever wrote the files."""
    names, features, records = manifest["distinct_names"], manifest["features"], manifest["records"]
    checks = [("common_indptr", "common_indices", names, features), ("postings_indptr", "postings_indices",
              features, names), ("record_indptr", "records", names, records),
              ("name_offsets", "name_bytes", names, None), ("id_offsets", "id_bytes", records, None)]
    for pointer, target, rows, bound in checks:
        p, t = a[pointer], a[target]
        ok = len(p) == rows + 1 and p[0] == 0 and p[-1] == len(t) and bool((np.diff(p) >= 0).all())
        if ok and bound is not None and len(t):
            ok = int(t.min()) >= 0 and int(t.max()) < bound
        if not ok:
            raise IndexDamagedError(f"index {path} is damaged: {pointer} and {target} do not agree")
    for name, length in (("vocabulary", features), ("idf", features), ("df", features), ("common", features),
                         ("norm", names), ("common_data", len(a["common_indices"])),
                         ("postings_data", len(a["postings_indices"]))):
        if len(a[name]) != length:
            raise IndexDamagedError(f"index {path} is damaged: {name} has {len(a[name])} entries, not {length}")


# ---------------------------------------------------------------------- writing

@contextlib.contextmanager
def writing(path: str) -> Iterator[None]:
    """Hold the index's lock: one writer at a time; a second is an error at once, never a silent win."""
    import fcntl

    with open(os.path.join(path, LOCK), "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataforgeError(f"index {path} is being written by another dataforge process (index build or "
                                 f"add): run this when it is done") from None
        yield


def _save_generation(directory: Path, arrays: dict) -> dict:
    """Write *arrays* as .npy files in *directory* (made here), fsync'ed; their manifest entries."""
    directory.mkdir()
    table = {}
    for name in ARRAYS:
        array = np.ascontiguousarray(arrays[name])
        with open(directory / f"{name}.npy", "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        table[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "crc32": _crc(array)}
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return table


def _commit(path: str, manifest: dict) -> None:
    """Replace the manifest atomically (the commit), then remove every generation it does not name."""
    manifest["checksum"] = _manifest_checksum(manifest)
    with AtomicFile(os.path.join(path, MANIFEST)) as out:
        out.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    _remove_stale(path, manifest["generation"])


def _remove_stale(path: str, keep: str) -> None:
    for entry in os.listdir(path):
        if entry.startswith(GENERATION_PREFIX) and entry != keep:
            shutil.rmtree(os.path.join(path, entry), ignore_errors=True)


def _new_generation() -> str:
    return GENERATION_PREFIX + secrets.token_hex(6)


def index_arrays(names: pd.Series, ids: pd.Series, options: MatchOptions) -> tuple[dict, dict]:
    """The arrays of an index of the records (*names*, *ids*), and the manifest's counts."""
    from dataforge.dedup.match import _ByName
    from dataforge.dedup.pruned import RightSide, by_rarest_feature, choose_common, split_common
    from dataforge.dedup.vectorise import fit_tfidf

    by_name = _ByName(names)
    if not len(by_name.distinct):
        raise UsageError("the master list has no names to index")
    try:
        matrix, vocabulary, df = fit_tfidf(list(by_name.distinct), options.ngram, options.strip_legal)
    except ValueError:
        raise UsageError("the master list's names have no n-grams to index") from None
    order = by_rarest_feature(matrix, df)  # rows that share their rarest feature sit together (locality)
    matrix = matrix[order]
    squares = matrix.multiply(matrix).tocsr()
    k = choose_common(df, None, squares, squares, TUNED_THRESHOLD)
    del squares
    common = np.zeros(len(df), bool)
    common[np.argsort(-df, kind="stable")[:k]] = True
    right = RightSide.of(*split_common(matrix, common))
    from dataforge.dedup.vectorise import smooth_idf

    arrays = dict(zip(RightSide._fields, right))
    arrays.update(vocabulary=vocabulary.astype(np.int64), idf=smooth_idf(df, len(by_name.distinct)),
                  df=df.astype(np.int64), common=common)
    arrays.update(_name_arrays(by_name.distinct[order], by_name.count[order], by_name.start[order], by_name.rows))
    arrays["id_offsets"], arrays["id_bytes"] = _text_arrays([str(v) for v in ids.to_numpy(dtype=object)])
    counts = dict(records=len(names), distinct_names=len(by_name.distinct), features=len(df), common_features=k,
                  idf_names=len(by_name.distinct))
    return arrays, counts


def _name_arrays(distinct: np.ndarray, count: np.ndarray, start: np.ndarray, rows: np.ndarray) -> dict:
    """Names in the index's order, and each one's records (a CSR of record positions)."""
    indptr = np.zeros(len(distinct) + 1, np.int64)
    np.cumsum(count, out=indptr[1:])
    take = np.repeat(start - indptr[:-1], count) + np.arange(int(indptr[-1]))
    offsets, blob = _text_arrays(list(distinct))
    return {"name_offsets": offsets, "name_bytes": blob, "record_indptr": indptr,
            "records": rows[take].astype(np.int64)}


def build_index(path: str, names: pd.Series, ids: pd.Series, *, options: MatchOptions = MatchOptions(),
                columns: Sequence[str] = (), id_column: Optional[str] = None, inputs: Sequence[str] = (),
                progress: Progress = None) -> dict:
    """Write an index of the master records (*names*, *ids*) at *path*: a new directory, or a new
    generation of the index already there (the caller has checked --force).  Returns the manifest."""
    options = options._replace(ngram=options.ngram or DEFAULT_NGRAM)
    check_index_options(options)
    options = options.check()
    if progress:
        progress("indexing the master list")
    arrays, counts = index_arrays(names, ids, options)
    manifest = {"format": FORMAT, "version": VERSION, "generation": _new_generation(),
                "options": {"ngram": options.ngram, "strip_legal": options.strip_legal},
                "columns": list(columns), "id_column": id_column, "tuned_threshold": TUNED_THRESHOLD,
                **counts, "built": {"at": _now(), "inputs": list(inputs), "records": counts["records"],
                                    "distinct_names": counts["distinct_names"]},
                "added": [], "drift": 0.0, "rebuild_advised": False, "rebuild_reason": None}
    if os.path.exists(os.path.join(path, MANIFEST)):
        with writing(path):
            manifest["arrays"] = _save_generation(Path(path) / manifest["generation"], arrays)
            _commit(path, manifest)
        return manifest
    with AtomicDirectory(path) as tmp:
        manifest["arrays"] = _save_generation(Path(tmp) / manifest["generation"], arrays)
        manifest["checksum"] = _manifest_checksum(manifest)
        (Path(tmp) / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 |
                                                        orjson.OPT_SORT_KEYS) + b"\n")
    return manifest


def add_to_index(path: str, names: pd.Series, ids: Optional[pd.Series], *, inputs: Sequence[str] = (),
                 progress: Progress = None) -> dict:
    """Append the records (*names*, *ids*; None: numbered on from the index's last record) to the
    index at *path* without a rebuild: new names are vectorised at the frozen IDF (an n-gram the
    index lacks becomes a feature weighing what df 0 gives), the kernel's split is kept, and the
    drift of the IDF is measured.  Under the index's lock; the new generation lands whole or not at
    all.  Returns the new manifest."""
    from dataforge.dedup.match import _ByName
    from dataforge.dedup.pruned import RightSide, split_common
    from dataforge.dedup.vectorise import frozen_counts, unseen_idf, weighted

    with writing(path):
        index = MatchIndex.open(path)  # under the lock: the generation this add extends is the latest
        if progress:
            progress("adding to the index")
        a, m = index.arrays, dict(index.manifest)
        first = m["records"]
        if ids is None:
            ids = pd.Series(np.arange(first + 1, first + len(names) + 1))
        by_name = _ByName(names)
        known = pd.Index(index.names_at(np.arange(index.distinct_names)))
        at = known.get_indexer(by_name.distinct)  # a name already indexed only gains records
        new = np.flatnonzero(at < 0)
        counts, unseen = frozen_counts(list(by_name.distinct[new]), a["vocabulary"], m["options"]["ngram"],
                                       m["options"]["strip_legal"])
        idf = np.concatenate([a["idf"], np.full(len(unseen), unseen_idf(m["idf_names"]))])
        vectors = weighted(counts, idf)
        common = np.concatenate([a["common"], np.zeros(len(unseen), bool)])  # the split stays: new n-grams are rare
        rare, common_part, norm = split_common(vectors, common)
        old_rows, features = index.distinct_names, len(idf)
        arrays = {"vocabulary": np.concatenate([a["vocabulary"], unseen]), "idf": idf, "common": common,
                  "df": np.concatenate([a["df"], np.zeros(len(unseen), np.int64)])
                  + np.bincount(counts.indices, minlength=features)}
        arrays["common_indptr"] = np.concatenate([a["common_indptr"],
                                                  a["common_indptr"][-1] + common_part.indptr[1:]])
        arrays["common_indices"] = np.concatenate([a["common_indices"], common_part.indices]).astype(
            a["common_indices"].dtype if features < 2 ** 31 else np.int64)
        arrays["common_data"] = np.concatenate([a["common_data"], common_part.data])
        arrays["norm"] = np.concatenate([a["norm"], norm])
        arrays.update(_merged_postings(a, RightSide.of(rare, common_part, norm), old_rows, features))
        arrays.update(_merged_names(index, by_name, at, new, first))
        arrays["id_offsets"], arrays["id_bytes"] = _appended_texts(a["id_offsets"], a["id_bytes"],
                                                                   [str(v) for v in ids.to_numpy(dtype=object)])
        distinct = old_rows + len(new)
        drift = idf_drift(arrays["idf"], arrays["df"], distinct)
        growth = (distinct - m["idf_names"]) / m["idf_names"]
        reasons = ([f"the IDF has drifted {drift:.2%} from a refit's (over {REBUILD_DRIFT:.0%})"]
                   if drift > REBUILD_DRIFT else []) + \
                  ([f"{growth:.0%} more names than the IDF was fitted on (over {REBUILD_GROWTH:.0%})"]
                   if growth > REBUILD_GROWTH else [])
        m.update(generation=_new_generation(), records=first + len(names), distinct_names=distinct,
                 features=features, drift=round(drift, 6), rebuild_advised=bool(reasons),
                 rebuild_reason="; ".join(reasons) or None,
                 added=m["added"] + [{"at": _now(), "inputs": list(inputs), "records": len(names),
                                      "distinct_names": int(len(new)), "features": int(len(unseen))}])
        del index, a  # the old generation's maps are closed before it is removed
        m["arrays"] = _save_generation(Path(path) / m["generation"], arrays)
        _commit(path, m)
    return m


def _merged_postings(a: dict, added, old_rows: int, features: int) -> dict:
    """The old postings with the added rows' (numbered from *old_rows*) after each feature's own."""
    old_ptr, new_ptr = a["postings_indptr"], added.postings_indptr
    old_counts = np.diff(old_ptr)
    old_counts = np.concatenate([old_counts, np.zeros(features - len(old_counts), np.int64)])
    new_counts = np.diff(new_ptr)
    new_counts = np.concatenate([new_counts, np.zeros(features - len(new_counts), np.int64)])
    indptr = np.zeros(features + 1, np.int64)
    np.cumsum(old_counts + new_counts, out=indptr[1:])
    total = int(indptr[-1])
    dtype = np.int32 if old_rows + added.rows < 2 ** 31 else np.int64
    indices = np.empty(total, dtype)
    data = np.empty(total, np.float64)
    # an old entry moves by the added entries of the features before its own, and a new one by the old ones
    old_feature = np.repeat(np.arange(features), old_counts)
    old_at = np.arange(len(a["postings_indices"])) + (indptr[:-1] - np.concatenate([old_ptr[:-1], np.full(
        features - len(old_ptr) + 1, old_ptr[-1])]))[old_feature]
    indices[old_at] = a["postings_indices"]
    data[old_at] = a["postings_data"]
    new_feature = np.repeat(np.arange(features), new_counts)
    new_at = np.arange(len(added.postings_indices)) - np.concatenate([new_ptr[:-1], np.full(
        features - len(new_ptr) + 1, new_ptr[-1])])[new_feature] + indptr[:-1][new_feature] + old_counts[new_feature]
    indices[new_at] = added.postings_indices + old_rows
    data[new_at] = added.postings_data
    return {"postings_indptr": indptr, "postings_indices": indices, "postings_data": data}


def _merged_names(index: MatchIndex, by_name, at: np.ndarray, new: np.ndarray, first: int) -> dict:
    """The index's names followed by the new ones, and every name's records with the added ones after."""
    a = index.arrays
    old = index.distinct_names
    # where each added distinct name goes: an indexed name keeps its place, a new one is appended
    slot = at.copy()
    slot[new] = old + np.arange(len(new))
    old_count = np.concatenate([np.diff(a["record_indptr"]), np.zeros(len(new), np.int64)])
    add_count = np.bincount(slot, weights=by_name.count, minlength=old + len(new)).astype(np.int64)
    indptr = np.zeros(old + len(new) + 1, np.int64)
    np.cumsum(old_count + add_count, out=indptr[1:])
    records = np.empty(int(indptr[-1]), np.int64)
    old_name = np.repeat(np.arange(old), old_count[:old])
    records[np.arange(len(a["records"])) - a["record_indptr"][:-1][old_name] + indptr[:-1][old_name]] = a["records"]
    # the added records of each slot, in input order, after the slot's old ones
    rows_slot = np.repeat(slot, by_name.count)  # by_name.rows is grouped by distinct name, as slot is
    order = np.argsort(rows_slot, kind="stable")
    sorted_slot = rows_slot[order]
    first_of = np.searchsorted(sorted_slot, sorted_slot)
    place = indptr[:-1][sorted_slot] + old_count[sorted_slot] + (np.arange(len(order)) - first_of)
    records[place] = by_name.rows[order] + first
    offsets, blob = _appended_texts(a["name_offsets"], a["name_bytes"], list(by_name.distinct[new]))
    return {"name_offsets": offsets, "name_bytes": blob, "record_indptr": indptr, "records": records}


def _appended_texts(offsets: np.ndarray, blob: np.ndarray, values: list) -> tuple[np.ndarray, np.ndarray]:
    more_offsets, more = _text_arrays(values)
    return np.concatenate([offsets, offsets[-1] + more_offsets[1:]]), np.concatenate([blob, more])
