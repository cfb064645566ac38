"""The results page: every measured number of `benchmarks/results.json`.

The ladder, speed, levers, time-to-accuracy, runtime and target tables, with
the machines they were measured on, are
`fmnist_course.bench.results_markdown.render_results_markdown`: this page is
the one place that shows them in full (the README shows the headline). The
other sections are listed measure by measure, and `ladder_plot` draws the
ladder as a bar chart.

Examples:
    >>> "Not measured yet: ladder" in results_page({}, None)
    True

"""

from __future__ import annotations

import io
import json
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

matplotlib.use("Agg")  # the site is built without a screen

from fmnist_course.ablation_tables import ablation_table
from fmnist_course.anchors import ORIGINAL_ACCURACY, PUBLISHED
from fmnist_course.bench.results_markdown import render_results_markdown
from fmnist_course.calibration_plots import plot_reliability
from fmnist_course.calibration_record import (
    recorded_calibration,
    recorded_reliability_tables,
)
from fmnist_course.candidates_tables import candidates_table
from fmnist_course.results_tables import counted
from fmnist_course.website.confirmation_page import confirmation_markdown

RESULTS_COMMANDS = {
    "ladder": "fmnist-course bench ladder",
    "speed": "fmnist-course bench speed",
    "speed_levers": "fmnist-course bench levers",
    "normalization": "fmnist-course bench normalization",
    "process_split": "fmnist-course bench processes",
    "time_to_accuracy": "fmnist-course bench time-to-accuracy",
    "ablation": "fmnist-course bench ablation",
    "candidates": "fmnist-course bench candidates",
    "confirmation": "fmnist-course bench confirm --round 1",
    "second_confirmation": "fmnist-course bench confirm --round 2",
    "calibration": "fmnist-course bench calibration",
    "course_runtime": "fmnist-course site build",
    "fresh_clone": "fmnist-course bench fresh-clone",
    "tuning": "fmnist-course tune",
    "cluster": "fmnist-course bench cluster",
    "grading": "fmnist-course bench grading",
    "mutation": "make mutants",
}


def ladder_plot(rows: list[dict[str, Any]]) -> bytes:
    """A PNG bar chart of test accuracy per recipe, with the original's mark."""
    labels = [f"{row.get('lesson', '')} {row.get('model', '')}".strip() for row in rows]
    accuracies = [100 * float(row.get("test_accuracy", 0.0)) for row in rows]
    figure = Figure(figsize=(7, 0.5 * len(rows) + 1.5))
    axes = figure.subplots()
    axes.barh(labels, accuracies, color="#3f51b5")
    axes.axvline(
        100 * ORIGINAL_ACCURACY,
        color="#e53935",
        linestyle="--",
        label="original challenge (reported)",
    )
    for y, accuracy in enumerate(accuracies):
        axes.text(accuracy, y, f" {accuracy:.2f}%", va="center")
    lowest = min([*accuracies, 100 * ORIGINAL_ACCURACY])
    axes.set_xlim(max(0.0, lowest - 5), 100)
    axes.invert_yaxis()
    axes.set_xlabel("test accuracy (%)")
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def calibration_plot_png(results: dict[str, Any], device: str = "cpu") -> bytes | None:
    """The recorded reliability diagram as a PNG, or `None` when none is recorded.

    Examples:
        >>> calibration_plot_png({}) is None
        True

    """
    tables = recorded_reliability_tables(results, device)
    if not tables:
        return None
    entry = recorded_calibration(results, device).attrs["entry"]
    title = (
        f"The shipped {entry['model']} model, seed {entry['seed']}: "
        f"{entry['test_images']:,} test images"
    )
    figure = plot_reliability(tables, title=title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _section_markdown(name: str, value: Any) -> str:
    flat: list[tuple[str, Any]] = []

    def walk(prefix: str, item: Any) -> None:
        if isinstance(item, dict):
            for key, sub in item.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        else:
            flat.append((prefix, item))

    walk("", value)
    lines = ["| measure | value |", "|---|---|"]
    for key, item in flat:
        shown = json.dumps(item) if isinstance(item, (list, dict)) else item
        lines.append(f"| `{key}` | {shown} |")
    return "\n".join(lines)


def results_page(
    results: dict[str, Any],
    plot_name: str | None,
    calibration_plot: str | None = None,
) -> str:
    """The Markdown of the results page, from the results mapping only.

    The ladder, speed, levers, time-to-accuracy, runtime, calibration and
    target tables are `render_results_markdown`'s; the other sections, such
    as the hyperparameter search, are listed measure by measure.
    `plot_name` and `calibration_plot` name the ladder's bar chart and the
    reliability diagram (`calibration_plot_png`), when drawn.
    """
    parts = [
        "# Results",
        "",
        "Every number on this page is read from `benchmarks/results.json`, which "
        "the benchmark commands write; none is typed by hand. The original "
        f"challenge notebook reported {ORIGINAL_ACCURACY:.2%}.",
        "",
        render_results_markdown(results),
    ]
    if plot_name:
        parts += [f"![Test accuracy per recipe]({plot_name})", ""]
    if calibration_plot:
        parts += [
            f"![Reliability diagram of the shipped best model]({calibration_plot})",
            "",
        ]
    parts += anchors_markdown(results.get("ladder", []))
    parts += ablation_markdown(results)
    parts += candidates_markdown(results)
    parts += confirmation_markdown(results)
    parts += retrain_markdown(results)
    parts += mutation_markdown(results.get("mutation"))
    for key, command in RESULTS_COMMANDS.items():
        if key not in results:
            what = key.replace("_", " ")
            parts += [f"Not measured yet: {what}. Run `{command}`.", ""]
    covered = {
        "ladder",
        "ladder_bf16",
        "speed",
        "speed_levers",
        "normalization",
        "process_split",
        "time_to_accuracy",
        "course_runtime",
        "targets",
        "ablation",
        "candidates",
        "confirmation",
        "second_confirmation",
        "retrain_build",
        "calibration",
        "mutation",
    }
    for key in [key for key in results if key not in covered]:
        parts += [f"### {key.replace('_', ' ').capitalize()}", ""]
        parts += [_section_markdown(key, results[key]), ""]
    return "\n".join(parts)


def ablation_markdown(results: dict[str, Any]) -> list[str]:
    """The ablation section: `ablation_tables.ablation_table` as a Markdown table.

    Examples:
        >>> ablation_markdown({})
        []

    """
    table = ablation_table(results)
    if table.empty:
        return []
    title = "### Ablation: every technique stacked, then one removed"
    return _table_markdown(title, table, "variant")


def retrain_markdown(results: dict[str, Any]) -> list[str]:
    """The course built with the retrain switch on, against the ladder.

    Examples:
        >>> retrain_markdown({})
        []

    """
    from fmnist_course.choosing import SPREADS  # imports pandas

    lines = []
    for device, entry in results.get("retrain_build", {}).items():
        machine = entry["machine"]
        lines += [
            f"### The course retrained ({device.upper()})",
            "",
            f"`FMNIST_RETRAIN=1 fmnist-course site build --force` trained every "
            f"full recipe in its lesson, in {machine.get('dtype_policy', 'float32')}, "
            f"{entry['jobs']} lessons at once, in {entry['wall_seconds'] / 60:.1f} "
            f"minutes of wall time, measured {entry['measured_at'][:10]}. Each "
            "run's test accuracy against the ladder rows of its precision: it "
            f"agrees when it is within {SPREADS} standard deviations of their "
            "mean over seeds (`fmnist_course.retrained`).",
            "",
            "| lesson | recipe | test accuracy (%) | ladder mean (%) | std "
            "(points) | difference (points) | limit (points) | agrees |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        lines += [
            f"| {a['lesson']} | `{a['recipe']}` | {a['accuracy']:.2f} | "
            f"{a['mean']:.2f} | {a['std']:.2f} | {a['difference']:+.2f} | "
            f"{a['limit']:.2f} | {'yes' if a['agrees'] else 'no'} |"
            for a in entry["agreements"]
        ]
        lines.append("")
    return lines


def candidates_markdown(results: dict[str, Any]) -> list[str]:
    """The search for a better recipe: `candidates_tables.candidates_table`.

    Every candidate tried is listed, the ones that lost included, so the
    search itself is on the page.

    Examples:
        >>> candidates_markdown({})
        []

    """
    table = candidates_table(results)
    if table.empty:
        return []
    title = "### Searching for a better recipe than best, on validation"
    return _table_markdown(title, table, "candidate")


def _table_markdown(title: str, table, index: str) -> list[str]:
    """A titled DataFrame with its caption as Markdown lines; changes signed."""
    columns = list(table.columns)
    lines = [
        title,
        "",
        table.attrs["caption"],
        "",
        f"| {index} | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name, row in table.iterrows():
        cells = [
            f"{value:+.2f}"
            if "change" in column and isinstance(value, float) and value == value
            else f"{value:.2f}"
            if isinstance(value, float) and value == value
            else ""
            if isinstance(value, float)
            else str(value)
            for column, value in row.items()
        ]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return [*lines, ""]


def mutation_markdown(section: dict[str, Any] | None) -> list[str]:
    r"""The mutation scores per module, then every survivor and its verdict.

    Examples:
        >>> row = {"module": "fmnist_course/data.py", "mutants": 10, "killed": 9,
        ...        "timeout": 0, "survived": 1, "no_tests": 0, "score": 0.9,
        ...        "met": True}
        >>> section = {"tool": "mutmut 3.8.1", "target": 0.8, "modules": [row],
        ...     "survivors": [{"module": "fmnist_course/data.py", "mutant": "m1",
        ...     "status": "survived", "change": "-a\n+b", "harmless": None}]}
        >>> print("\n".join(mutation_markdown(section)[4:6]))
        | module | mutants | caught | survived | untested | score |
        |---|---|---|---|---|---|
        >>> mutation_markdown(None)
        []

    """
    if not section:
        return []
    lines = [
        "### Mutation testing: the bugs the tests catch",
        "",
        f"`make mutants` puts small bugs into the core modules one at a time "
        f"({section['tool']}) and runs the tests that cover each. A module meets "
        f"its target when its tests catch at least {section['target']:.0%}.",
        "",
        "| module | mutants | caught | survived | untested | score |",
        "|---|---|---|---|---|---|",
    ]
    for row in section["modules"]:
        mark = "" if row["met"] else " (below target)"
        if row.get("not_checked"):
            mark += f" ({row['not_checked']} not checked)"
        lines.append(
            f"| `{row['module']}` | {row['mutants']} | "
            f"{row['killed'] + row['timeout']} | {row['survived']} | "
            f"{row['no_tests']} | {row['score']:.1%}{mark} |"
        )
    survivors = section.get("survivors", [])
    judged = [s for s in survivors if s["harmless"]]
    lines += [
        "",
        f"{len(survivors)} mutants survived or ran untested; "
        f"{len(judged)} of them are judged harmless, with the reason below.",
        "",
    ]
    for survivor in survivors:
        verdict = survivor["harmless"] or "not judged harmless: a test to write"
        lines += [
            f"- `{survivor['module']}` ({survivor['status']}): {verdict}",
            "",
            "    ```diff",
            *[f"    {line}" for line in survivor["change"].splitlines()],
            "    ```",
            "",
        ]
    return [*lines, ""]


def anchors_markdown(ladder: list[dict[str, Any]]) -> list[str]:
    r"""Our ladder (CPU rows) beside published results, best first.

    Examples:
        >>> rows = [{"model": "best", "params": 391082, "test_accuracy": 0.941,
        ...          "device": "cpu", "runs": [{}, {}, {}]}]
        >>> print("\n".join(anchors_markdown(rows)[6:9]))
        | theirs | WRN-40-4 | 8,900,000 | 96.70% | random crops and horizontal flips |
        | theirs | DenseNet-BC | 768,000 | 95.40% | random crops and horizontal flips |
        | theirs | MobileNet | not given | 95.00% | horizontal flips |

    """
    rows = [
        (
            anchor.test_accuracy,
            f"| theirs | {anchor.name} | "
            + (f"{anchor.params:,}" if anchor.params else "not given")
            + f" | {anchor.test_accuracy:.2%} | {anchor.note or '—'} |",
        )
        for anchor in PUBLISHED
    ]
    rows.append(
        (
            ORIGINAL_ACCURACY,
            "| theirs | the challenge notebook (Keras `Sequential` CNN) | not given "
            f"| {ORIGINAL_ACCURACY:.2%} | 100 epochs, dropout, L1/L2; test or "
            "validation, the notebook does not say |",
        )
    )
    for row in ladder:
        if row.get("device", "cpu") != "cpu":
            continue
        count = len(row.get("runs", [])) or 1
        rows.append(
            (
                row["test_accuracy"],
                f"| **ours** | `{row['model']}` | {row['params']:,} "
                f"| {row['test_accuracy']:.2%} | mean of {counted(count, 'seed')}"
                ", on 2 CPU cores |",
            )
        )
    return [
        "### Where we stand",
        "",
        "Our ladder beside published results on the same test set. Theirs are "
        "rows of [Zalando's table of submitted benchmarks]"
        f"({PUBLISHED[0].source}), which Zalando has not re-run, and the "
        "challenge notebook's own figure; ours are read from the results file.",
        "",
        "| whose | model | parameters | test accuracy | notes |",
        "|---|---|---:|---:|---|",
        *[line for _, line in sorted(rows, key=lambda pair: -pair[0])],
        "",
    ]
