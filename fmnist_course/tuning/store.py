"""The trial store: one JSON file per finished trial, written once, read back forever.

A search's directory holds `trial-<key>.json` for every trial that finished,
where the key is a hash of everything that decides the trial's outcome (see
`fmnist_course.tuning.trial.trial_key`). Only the process that runs the search
(the client) writes here, as each result arrives, so workers on a cluster need
no shared file system. A file is written under a temporary name and renamed
into place, so a crash never leaves half a record; an existing record is never
overwritten.

Examples:
    >>> store = TrialStore("runs/tuning/demo")
    >>> store.load("0123456789abcdef") is None
    True
    >>> store.save({"key": "0123456789abcdef", "best_val_accuracy": 0.5})
    True
    >>> store.load("0123456789abcdef")["best_val_accuracy"]
    0.5
    >>> store.save({"key": "0123456789abcdef", "best_val_accuracy": 0.9})
    False

"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmnist_course.errors import UserError


class TrialStore:
    """The directory of one search: finished trials, one JSON file each.

    Args:
        directory: Where the trial files live; created on the first save.

    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        """The file of the trial with this key (it may not exist yet)."""
        return self.directory / f"trial-{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The stored record of a finished trial, or `None` when there is none.

        Raises:
            ValueError: The file exists but is not a valid record (it is left
                as it is; the message says to delete it to train it again).

        """
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict) or record.get("key") != key:
            raise UserError(
                f"{path} is not a valid trial record. Delete it to train it again."
            )
        return record

    def save(self, record: Mapping[str, Any]) -> bool:
        """Write a finished trial's record, unless one with its key exists.

        Args:
            record: A trial record with a `key`.

        Returns:
            `True` when written, `False` when a record with this key was
            already stored (it is kept as it is).

        Raises:
            ValueError: The record has no `key`.

        """
        key = record.get("key")
        if not isinstance(key, str) or not key:
            raise UserError(
                f"Expected a trial record with a 'key'. Received keys: {list(record)}"
            )
        path = self.path(key)
        if path.exists():
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        try:
            os.link(partial, path)  # fails if another writer got there first
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return True

    def keys(self) -> list[str]:
        """The keys of every stored trial, sorted.

        Examples:
            >>> TrialStore("runs/tuning/nothing-yet").keys()
            []

        """
        return sorted(
            path.name[len("trial-") : -len(".json")]
            for path in self.directory.glob("trial-*.json")
        )
