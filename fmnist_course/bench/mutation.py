"""Mutation scores: how many small bugs put into the core modules the tests catch.

`make mutants` runs mutmut (configured under `[tool.mutmut]` in
`pyproject.toml`) on the modules whose promises matter most, then
`python -m fmnist_course.bench.mutation` reads mutmut's verdicts from
`mutants/` and records, per module, how many mutants the tests killed, and
every survivor with the change it made. A survivor a maintainer has judged
harmless carries the reason, from `benchmarks/mutation_judgements.json`; a
judgement whose change no longer survives is reported as stale, so the list
cannot rot silently.

A mutant counts as caught when a test failed (`killed`) or ran past mutmut's
time limit (`timeout`: the bug made a test hang). It counts as missed when
every test passed (`survived`) or no selected test ran its function
(`no tests`). The score is caught over caught plus missed.

Examples:
    >>> counts = {"killed": 8, "timeout": 1, "survived": 2, "no tests": 1}
    >>> round(mutation_score(counts), 3)
    0.75

"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fmnist_course.results import RESULTS_PATH

MUTATION_TARGET = 0.80
"""The share of mutants each recorded module's tests must catch."""

CAUGHT = ("killed", "timeout")
MISSED = ("survived", "no tests")
JUDGEMENTS_PATH = (
    Path(__file__).resolve().parents[2] / "benchmarks" / "mutation_judgements.json"
)
RUN_COMMAND = "make mutants"


def mutation_score(counts: Mapping[str, int]) -> float:
    """Caught over caught plus missed; 0.0 for a module with no mutant.

    Examples:
        >>> mutation_score({"killed": 3, "survived": 1})
        0.75
        >>> mutation_score({})
        0.0

    """
    caught = sum(counts.get(status, 0) for status in CAUGHT)
    counted = caught + sum(counts.get(status, 0) for status in MISSED)
    return caught / counted if counted else 0.0


def read_verdicts(mutants_dir: Path) -> dict[str, dict[str, str]]:
    """Each mutated module's mutants and their statuses, from mutmut's files.

    Args:
        mutants_dir: mutmut's working copy (`mutants/`), after `mutmut run`.

    Returns:
        `{"fmnist_course/data.py": {mutant name: status}}`, statuses as mutmut
        names them (`killed`, `survived`, `no tests`, `timeout`, ...).

    Raises:
        FileNotFoundError: No mutmut verdicts under `mutants_dir`.

    """
    from mutmut.stats import status_by_exit_code

    metas = sorted(mutants_dir.rglob("*.py.meta"))
    if not metas:
        raise FileNotFoundError(
            f"No mutmut verdicts under {mutants_dir}. Expected the "
            "`*.py.meta` files `mutmut run` writes. Run `make mutants` first."
        )
    verdicts = {}
    for meta in metas:
        module = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        verdicts[module] = {
            name: status_by_exit_code[code] for name, code in sorted(codes.items())
        }
    return verdicts


def change_of(diff: str) -> str:
    r"""The removed and added lines of a mutant's diff, without the headers.

    Examples:
        >>> diff = "--- a\n+++ a\n@@ -1 +1 @@\n def f():\n-    return 1\n+    return 2"
        >>> print(change_of(diff))
        -    return 1
        +    return 2

    """
    return "\n".join(
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def load_judgements(path: Path = JUDGEMENTS_PATH) -> list[dict[str, str]]:
    """The maintainer's harmless-survivor judgements: module, change, reason."""
    if not path.is_file():
        return []
    judgements = json.loads(path.read_text())
    for index, judgement in enumerate(judgements):
        missing = {"module", "change", "reason"} - set(judgement)
        if missing:
            raise ValueError(
                f"{path}: judgement {index} lacks {sorted(missing)}. Each entry "
                'needs "module", "change" (the diff lines) and "reason".'
            )
    return judgements


def summarize(
    verdicts: Mapping[str, Mapping[str, str]],
    changes: Mapping[str, str],
    judgements: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    r"""The record's `mutation` section from verdicts, diffs and judgements.

    Args:
        verdicts: `read_verdicts`'s result.
        changes: Each missed mutant's `change_of` its diff.
        judgements: Harmless survivors, matched by module and change.

    Returns:
        Per-module counts and scores, the survivors (judged or not), and the
        judgements that no longer match a survivor (`stale_judgements`).

    Examples:
        >>> verdicts = {"m.py": {"m.x_f__mutmut_1": "killed",
        ...                      "m.x_f__mutmut_2": "survived"}}
        >>> judged = [{"module": "m.py", "change": "-a\n+b", "reason": "same"}]
        >>> section = summarize(verdicts, {"m.x_f__mutmut_2": "-a\n+b"}, judged)
        >>> section["modules"][0]["score"], section["survivors"][0]["harmless"]
        (0.5, 'same')

    """
    reasons = {(j["module"], j["change"]): j["reason"] for j in judgements}
    used = set()
    modules, survivors = [], []
    for module, statuses in sorted(verdicts.items()):
        counts = Counter(statuses.values())
        score = mutation_score(counts)
        unchecked = sum(
            n for status, n in counts.items() if status not in CAUGHT + MISSED
        )
        modules.append(
            {
                "module": module,
                "mutants": len(statuses),
                **{
                    status.replace(" ", "_"): counts.get(status, 0)
                    for status in (*CAUGHT, *MISSED)
                },
                "not_checked": unchecked,
                "score": round(score, 4),
                # a run cut short leaves mutants unchecked: it meets nothing
                "met": score >= MUTATION_TARGET and unchecked == 0,
            }
        )
        for name, status in statuses.items():
            if status not in MISSED:
                continue
            change = changes.get(name, "")
            reason = reasons.get((module, change))
            if reason is not None:
                used.add((module, change))
            survivors.append(
                {
                    "module": module,
                    "mutant": name,
                    "status": status,
                    "change": change,
                    "harmless": reason,
                }
            )
    stale = [
        {"module": module, "change": change}
        for module, change in reasons
        if (module, change) not in used and module in verdicts
    ]
    return {
        "tool": _mutmut_version(),
        "target": MUTATION_TARGET,
        "modules": modules,
        "survivors": survivors,
        "stale_judgements": stale,
    }


def _mutmut_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"mutmut {version('mutmut')}"
    except PackageNotFoundError:
        return "mutmut"


def collect(mutants_dir: Path, judgements_path: Path = JUDGEMENTS_PATH) -> dict:
    """Read a finished mutmut run and summarize it (diffs come from mutmut)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    verdicts = read_verdicts(mutants_dir)
    changes = {}
    for module, statuses in verdicts.items():
        for name, status in statuses.items():
            if status in MISSED:
                changes[name] = change_of(get_diff_for_mutant(name, path=module))
    return summarize(verdicts, changes, load_judgements(judgements_path))


def main(argv: list[str] | None = None) -> int:
    """Record the scores of the last `mutmut run`; print one line per module."""
    from fmnist_course.bench.record import measured_now, record

    argv = sys.argv[1:] if argv is None else argv
    seconds = float(argv[0]) if argv else None
    started = time.perf_counter()
    section = collect(Path("mutants"))
    section["measured_at"] = measured_now()
    if seconds is not None:
        section["run_seconds"] = round(seconds, 1)
    for row in section["modules"]:
        print(
            f"{row['module']}: {row['score']:.1%} caught of {row['mutants']} "
            f"mutants ({row['survived']} survived, {row['no_tests']} untested, "
            f"{row['not_checked']} not checked)"
            + ("" if row["met"] else f"  misses the {MUTATION_TARGET:.0%} target")
        )
    unjudged = sum(1 for s in section["survivors"] if s["harmless"] is None)
    print(
        f"{unjudged} survivors not judged harmless; "
        f"{len(section['stale_judgements'])} stale judgements "
        f"(read in {time.perf_counter() - started:.0f} s)"
    )
    record(RESULTS_PATH, "mutation", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
