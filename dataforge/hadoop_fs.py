"""Paths with a scheme (``hdfs://``, ``s3a://``, ``file://``) through a Spark session's Hadoop filesystem.

The Spark engine of ``dedup match`` reads and writes them here: inputs are
copied to a local temporary directory, outputs are written locally and then
copied to a temporary name beside the target and renamed, so they land whole
or not at all.  The JVM is reached through the SparkContext given; pyspark is
not imported here.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from typing import IO, Iterator, Sequence

from dataforge.errors import InputPathError, OutputExistsError
from dataforge.io import AtomicFile, is_uri
from dataforge.spark_setup import java_message


class HadoopFilesystem:
    """Hadoop paths on a SparkContext's filesystem: list and copy inputs, check and write outputs."""

    def __init__(self, context):
        self.context = context

    def _path(self, path: str):
        return self.context._jvm.org.apache.hadoop.fs.Path(path)

    def _filesystem(self, path):
        fs = path.getFileSystem(self.context._jsc.hadoopConfiguration())
        # the checksummed local filesystem leaves a hidden .crc file beside each file it writes
        return fs.getRawFileSystem() if fs.getScheme() == "file" and hasattr(fs, "getRawFileSystem") else fs

    def list_inputs(self, path: str) -> list[str]:
        """The files a path names: itself, a glob's matches, or a directory's files (recursively,
        skipping names that start with . or _, as Hadoop does), sorted."""
        target = self._path(path)
        fs = self._filesystem(target)
        try:
            statuses = fs.globStatus(target)
        except Exception as e:  # noqa: BLE001 - py4j carries the Java exception
            raise InputPathError(f"cannot read input {path}: {java_message(e)}") from None
        found: list[str] = []
        for status in statuses or []:
            if status.isDirectory():
                files = fs.listFiles(status.getPath(), True)
                while files.hasNext():
                    file_path = files.next().getPath()
                    relative = file_path.toUri().getPath()[len(status.getPath().toUri().getPath()):]
                    if not any(part.startswith((".", "_")) for part in relative.split("/") if part):
                        found.append(file_path.toString())
            else:
                found.append(status.getPath().toString())
        if not found:
            raise InputPathError(f"input not found: {path}" if not statuses else f"no input files in {path}")
        return sorted(found)

    def fetch(self, paths: Sequence[str], stack: contextlib.ExitStack) -> list[str]:
        """Local copies of the files *paths* name (paths without a scheme are returned as they are)."""
        local: list[str] = []
        directory = None
        for path in paths:
            if not is_uri(path):  # file:// and plain paths are this machine's
                local.append(path)
                continue
            if directory is None:
                directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="dataforge-spark-input-"))
            for remote in self.list_inputs(path):
                copy = os.path.join(directory, f"{len(local):04d}-{os.path.basename(remote)}")
                source = self._path(remote)
                self._filesystem(source).copyToLocalFile(False, source, self._path("file://" + copy), True)
                local.append(copy)
        return local

    def check_output_free(self, path: str, force: bool) -> None:
        target = self._path(path)
        fs = self._filesystem(target)
        if fs.exists(target):
            if fs.getFileStatus(target).isDirectory():
                raise OutputExistsError(f"output {path} is a directory: give a file name")
            if not force:
                raise OutputExistsError(f"output exists: {path} (use --force to replace it)")

    @contextlib.contextmanager
    def output(self, path: str) -> Iterator[IO[bytes]]:
        """A binary stream that lands at *path* whole (``.gz`` compresses), or not at all."""
        with tempfile.TemporaryDirectory(prefix="dataforge-spark-output-") as directory:
            local = os.path.join(directory, os.path.basename(path.rstrip("/")) or "output")
            with AtomicFile(local) as stream:
                yield stream
            target = self._path(path)
            fs = self._filesystem(target)
            temporary = self._path(f"{target.getParent().toString()}/.{target.getName()}.{uuid.uuid4().hex}.tmp")
            fs.copyFromLocalFile(True, True, self._path("file://" + local), temporary)
            try:
                if fs.exists(target):
                    fs.delete(target, False)  # refused earlier unless --force
                if not fs.rename(temporary, target):
                    raise OSError(f"could not rename {temporary.toString()} to {path}")
            finally:
                if fs.exists(temporary):
                    fs.delete(temporary, False)
