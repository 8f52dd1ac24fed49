"""``dedup label``: the labeller's loop without its screen, one pair at a time, most doubtful first.

A :class:`LabelSession` holds the pairs in :func:`~dataforge.dedup.review.doubt_order`, skips those the
labels file already has (so a second session resumes where the first stopped), and takes the keys of
:data:`KEYS`.  Every label is saved at once, atomically, as the union of the file's labels and this
session's (a later label of a pair replaces the earlier one), in the format ``dedup match --labels``
reads (:data:`~dataforge.dedup.learn.LABEL_COLUMNS`, checked by :func:`~dataforge.dedup.learn.check_labels`).
The command draws the pairs and reads the keys; nothing here prints or reads a terminal.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import pandas as pd

from dataforge.dedup.review import check_local, doubt_order, pair_key, read_pairs
from dataforge.errors import UsageError
from dataforge.io import STDIN, check_output_free, local_path

# key -> what it does: a label (and on to the next pair), back, or quit
KEYS = {"y": "yes", "n": "no", "u": "unsure", "b": "back", "q": "quit"}


def read_label_file(path: str) -> pd.DataFrame:
    """The labels already in *path* (none when it does not exist), checked as ``dedup match --labels`` checks them."""
    from dataforge.dedup.learn import LABEL_COLUMNS, check_labels

    if not os.path.exists(local_path(path)):
        return pd.DataFrame(columns=list(LABEL_COLUMNS))
    try:
        frame = pd.read_csv(local_path(path), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=list(LABEL_COLUMNS))
    except (pd.errors.ParserError, UnicodeDecodeError, IsADirectoryError) as e:
        raise UsageError(f"-o {path}: not a labels CSV ({str(e).splitlines()[0][:100]})") from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    return check_labels(frame, f"-o {path} (the labels to resume from)")[list(LABEL_COLUMNS)]


@dataclass
class Shown:
    """The pair the labeller shows now."""

    position: int  # in the session's queue, from 0
    left_id: str
    left_name: str
    right_id: str
    right_name: str
    similarity: float
    probability: Optional[float]  # with --learn's pairs
    weight: Optional[float]
    parts: dict  # --explain's parts of the weight, by measure
    label: str  # this session's label of it, or ""


class LabelSession:
    """The pairs of *pairs_path* to label into *output*, most doubtful first, those already labelled left out."""

    def __init__(self, pairs_path: str, output: str, threshold: Optional[float] = None, encoding: str = "utf-8"):
        check_local(pairs_path, output)
        if output == STDIN:
            raise UsageError("-o must be a file: it keeps the labels between sessions")
        # an existing output is no error: it is the labels to resume from, written back with the new ones
        check_output_free(local_path(output), True, inputs=[pairs_path])
        self.output = output
        self.pairs = read_pairs(pairs_path, encoding)
        self.threshold = self.pairs.threshold(threshold)
        self.earlier = read_label_file(output)
        done = {pair_key(a, b) for a, b in zip(self.earlier["left_id"], self.earlier["right_id"])}
        frame = self.pairs.frame
        self.already = 0
        self.queue = []
        for row in doubt_order(self.pairs, self.threshold):
            if pair_key(frame["left_id"].iat[row], frame["right_id"].iat[row]) in done:
                self.already += 1
            else:
                self.queue.append(int(row))
        self.position = 0
        self.labels: dict = {}  # queue position -> label given in this session

    @property
    def done(self) -> bool:
        return self.position >= len(self.queue)

    @property
    def counts(self) -> dict:
        given = list(self.labels.values())
        return {label: given.count(label) for label in ("yes", "no", "unsure")}

    def shown(self) -> Shown:
        row = self.pairs.frame.iloc[self.queue[self.position]]
        learned = self.pairs.learned
        return Shown(position=self.position, left_id=row["left_id"], left_name=row["left_name"],
                     right_id=row["right_id"], right_name=row["right_name"], similarity=float(row["similarity"]),
                     probability=float(row["match_probability"]) if learned else None,
                     weight=float(row["match_weight"]) if learned else None,
                     parts={m: float(row["weight_" + m]) for m in self.pairs.measures},
                     label=self.labels.get(self.position, ""))

    def press(self, key: str) -> bool:
        """Do what *key* means (:data:`KEYS`; others are ignored); False once the session is over."""
        action = KEYS.get(key.lower()) if key else None
        if action == "quit":
            self.save()
            return False
        if action == "back":
            self.position = max(0, self.position - 1)
        elif action is not None and not self.done:
            self.labels[self.position] = action
            self.save()
            self.position += 1
        return not self.done

    def save(self) -> None:
        """Write the file's labels and this session's, atomically (nothing to write leaves the file alone)."""
        from dataforge.dedup.files import csv_output
        from dataforge.dedup.learn import LABEL_COLUMNS
        from dataforge.dedup.table import write_frame_csv

        if not self.labels and not os.path.exists(local_path(self.output)):
            return
        frame = self.pairs.frame
        new = pd.DataFrame([(frame["left_id"].iat[self.queue[k]], frame["right_id"].iat[self.queue[k]], label)
                            for k, label in sorted(self.labels.items())], columns=list(LABEL_COLUMNS))
        with csv_output(self.output) as out:
            write_frame_csv(out, pd.concat([self.earlier, new], ignore_index=True))
