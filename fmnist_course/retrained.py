"""Whether a full recipe retrained in a lesson scores what the ladder recorded.

With the retrain switch on (`FMNIST_RETRAIN=1`), lessons 02, 03, 04 and 07
train their full recipes themselves instead of loading the shipped models
(`fmnist_course.trained_models`). Each such run is one more run of a recipe
the ladder trained under several seeds, so its test accuracy should land
where another seed could have put it. The course's rule for "the same"
(`fmnist_course.choosing`): within `SPREADS` standard deviations of the
ladder's mean over its seeds. The run is held against the ladder rows of its
own precision: `ladder` for float32, `ladder_bf16` for `mixed_bfloat16`.

`retrain_agreement` measures that; its `str` is the one line a lesson prints.
`read_agreements` finds those lines again in an executed notebook's text, so
that a site build with the switch on records them (`retrain_build` in the
record), and the targets table says whether the course, retrained, still
scores what the ladder recorded.

Examples:
    >>> agreement = retrain_agreement("cnn", 0.9123, "float32", device="cpu")
    >>> print(agreement)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    retrained 'cnn' in float32: test accuracy 91.23%; the ladder's mean ...
    over 3 seeds, ...
    >>> read_agreements(str(agreement)) == [agreement.as_record()]
    True

"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from fmnist_course.bf16_tables import BF16_SECTION
from fmnist_course.choosing import SPREADS
from fmnist_course.errors import UserError
from fmnist_course.recipes import RECIPES
from fmnist_course.results import DEVICES, load_results
from fmnist_course.results_tables import MIN_SEEDS, outdated_row, utc_time

LADDER_SECTIONS = {"float32": "ladder", "mixed_bfloat16": BF16_SECTION}
"""The record's ladder rows for each precision a lesson can train in."""

RETRAINED_RECIPES = ("cnn", "cnn_dropout", "challenge", "best")
"""The recipes whose full runs the lessons load, or retrain with the switch on."""

AGREES, DISAGREES = "agrees", "does not agree"

_LINE = re.compile(
    r"retrained '(?P<recipe>\w+)' in (?P<precision>\w+): test accuracy "
    r"(?P<accuracy>[\d.]+)%; the ladder's mean (?P<mean>[\d.]+)% "
    r"\(std (?P<std>[\d.]+) points over (?P<seeds>\d+) seeds, (?P<low>[\d.]+)% "
    r"to (?P<high>[\d.]+)%\): (?P<difference>[-+][\d.]+) points, within "
    rf"(?P<spreads>\d+) std \((?P<limit>[\d.]+) points\): (?P<verdict>{AGREES}|"
    rf"{DISAGREES})"
)


@dataclass(frozen=True)
class Agreement:
    """A retrained run's test accuracy against the ladder's seeds, in points.

    Attributes:
        recipe: The recipe's name (a key of `fmnist_course.recipes.RECIPES`).
        precision: The dtype policy it trained in.
        accuracy: Its test accuracy, in percent.
        mean: The ladder's mean test accuracy over its seeds, in percent.
        std: Their standard deviation, in points.
        seeds: How many seeds the ladder trained.
        low: The lowest seed's test accuracy, in percent.
        high: The highest seed's, in percent.

    """

    recipe: str
    precision: str
    accuracy: float
    mean: float
    std: float
    seeds: int
    low: float
    high: float

    @property
    def difference(self) -> float:
        """The run's accuracy minus the ladder's mean, in points."""
        return round(self.accuracy - self.mean, 2)

    @property
    def limit(self) -> float:
        """How far from the mean another seed may land: `SPREADS` std, in points."""
        return round(SPREADS * self.std, 2)

    @property
    def agrees(self) -> bool:
        """Whether the run is within `limit` of the ladder's mean."""
        return abs(self.difference) <= self.limit

    def as_record(self) -> dict[str, Any]:
        """The fields, the difference, the limit and the verdict, for the record."""
        return {
            **asdict(self),
            "difference": self.difference,
            "limit": self.limit,
            "agrees": self.agrees,
        }

    def __str__(self) -> str:
        return (
            f"retrained {self.recipe!r} in {self.precision}: test accuracy "
            f"{self.accuracy:.2f}%; the ladder's mean {self.mean:.2f}% (std "
            f"{self.std:.2f} points over {self.seeds} seeds, {self.low:.2f}% to "
            f"{self.high:.2f}%): {self.difference:+.2f} points, within {SPREADS} std "
            f"({self.limit:.2f} points): {AGREES if self.agrees else DISAGREES}"
        )


def retrain_agreement(
    recipe: str,
    accuracy: float,
    precision: str,
    *,
    results: Mapping[str, Any] | None = None,
    device: str | None = None,
) -> Agreement:
    """Hold a retrained run's test accuracy against the ladder's seeds.

    Args:
        recipe: The recipe the run trained (`"cnn"`, `"best"`, ...).
        accuracy: Its test accuracy, a fraction (as `evaluate` returns it).
        precision: The dtype policy it trained in; a model's is
            `fmnist_course.trained_models.model_precision(model)`.
        results: The record; defaults to the one that ships with the course.
        device: Whose ladder rows to read, `"cpu"` or `"gpu"`; `None`: the
            device this process trains on (a GPU when TensorFlow sees one).

    Returns:
        The `Agreement`, every figure rounded to hundredths of a point, as
        the line that prints it shows it.

    Raises:
        UserError: An unknown recipe or device, an accuracy that is not a
            fraction, no ladder rows for that precision, no row for the
            recipe on that device, or a row that no longer measures today's
            full recipe (`results_tables.outdated_row`) or has fewer than
            `MIN_SEEDS` seeds; the message names the command that records it.

    Examples:
        >>> retrain_agreement("cnn", 0.9, "float16", results={})
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: No ladder is recorded for precision ...

    """
    section = LADDER_SECTIONS.get(precision) if isinstance(precision, str) else None
    if section is None:
        raise UserError(
            f"No ladder is recorded for precision {precision!r}; the record "
            f"keeps {', '.join(map(repr, LADDER_SECTIONS))}. Train in one of them."
        )
    if not isinstance(recipe, str) or recipe not in RECIPES:
        raise UserError(
            f"Expected a recipe of the course. Received {recipe!r}; the recipes "
            f"are {', '.join(map(repr, RECIPES))}. Name one of them."
        )
    if device is not None and (not isinstance(device, str) or device not in DEVICES):
        raise UserError(
            f"Expected a device of the record. Received {device!r}; the record "
            f"keeps {', '.join(map(repr, DEVICES))}. Pass one, or None for this one."
        )
    if (
        not isinstance(accuracy, numbers.Real)
        or isinstance(accuracy, bool)
        or not math.isfinite(accuracy)
        or not 0 <= accuracy <= 1
    ):
        raise UserError(
            f"Expected the retrained run's test accuracy as a fraction between 0 "
            f"and 1, as `evaluate` returns it. Received {accuracy!r} "
            f"({type(accuracy).__name__}). Pass scores['accuracy'] (a percentage "
            "divided by 100)."
        )
    accuracy = float(accuracy)
    results = load_results() if results is None else results
    if not isinstance(results, Mapping):
        raise UserError(
            f"Expected the record as a mapping of sections. Received "
            f"{type(results).__name__}. Pass load_results(), or leave it out."
        )
    if device is None:
        from fmnist_course.machine import gpu_names

        device = "gpu" if gpu_names() else "cpu"
    row = _ladder_row(results, section, recipe, device)
    if row is None:
        raise UserError(
            f"The record has no {section} row for {recipe!r} on {device}: "
            f"`fmnist-course bench ladder` records it"
            + (" (with --precision bfloat16)." if section == BF16_SECTION else ".")
        )
    why = outdated_row(row, precision=precision)
    seeds = len(row.get("runs") or [])
    if why is None and seeds < MIN_SEEDS:
        why = f"it has {seeds} seeds, fewer than {MIN_SEEDS}"
    if why:
        raise UserError(
            f"The record's {section} row for {recipe!r} no longer counts: {why}; "
            "so a run of today's recipe cannot be held against it. Measure it "
            f"again: `fmnist-course bench ladder --lessons {row.get('lesson', 'NN')} "
            "--seeds 0 1 2"
            + (" --precision bfloat16`." if section == BF16_SECTION else "`.")
        )

    def points(key: str) -> float:
        return round(100 * row[key], 2)

    return Agreement(
        recipe=recipe,
        precision=precision,
        accuracy=round(100 * accuracy, 2),
        mean=points("test_accuracy"),
        std=points("test_accuracy_std"),
        seeds=seeds,
        low=points("test_accuracy_min"),
        high=points("test_accuracy_max"),
    )


def outdated_agreement(
    agreement: Mapping[str, Any],
    results: Mapping[str, Any],
    device: str = "cpu",
    built_at: str | None = None,
) -> str | None:
    """Why a recorded agreement no longer speaks for today's recipe, if it does not.

    An agreement compared a retrained run with the ladder row of its
    precision. It is out of date when the row is gone; when the row no
    longer measures today's full recipe, code and data
    (`results_tables.outdated_row`, which also reads `changed_settings`) or
    has fewer than `MIN_SEEDS` seeds; when the row has since been measured
    again (its figures are not the ones compared with, or it was measured
    after `built_at`); or when the agreement's difference, limit or verdict
    do not follow from its accuracy and that row (`retrain_agreement`
    computes them again).

    Args:
        agreement: One entry of the record's `retrain_build` agreements.
        results: The parsed record.
        device: Whose ladder rows.
        built_at: When the build that compared them ran (its `measured_at`).

    Returns:
        The reason, in words, or `None` when the agreement still holds.

    Examples:
        >>> row = {"model": "cnn", "device": "cpu", "test_accuracy": 0.9106}
        >>> agreement = {"recipe": "cnn", "precision": "float32", "mean": 91.06}
        >>> outdated_agreement(agreement, {"ladder": [row]})
        'its ladder row no longer counts: recorded without a fingerprint'
        >>> outdated_agreement(agreement, {"ladder": []})
        'the record has no ladder row for cnn now'
        >>> outdated_agreement({**agreement, "precision": "float16"}, {})
        "it names precision 'float16', which no ladder section holds"

    """
    recipe = agreement.get("recipe")
    precision = agreement.get("precision")
    section = LADDER_SECTIONS.get(precision)
    if section is None:
        return f"it names precision {precision!r}, which no ladder section holds"
    row = _ladder_row(results, section, recipe, device)
    if row is None:
        return f"the record has no {section} row for {recipe} now"
    why = outdated_row(row, precision=precision)
    if why:
        return f"its {section} row no longer counts: {why}"
    seeds = len(row.get("runs") or [])
    if seeds < MIN_SEEDS:
        return f"its {section} row has {seeds} seeds, fewer than {MIN_SEEDS}"
    if built_at is not None:
        built, measured = utc_time(built_at), utc_time(row.get("measured_at"))
        if built is None or measured is None:
            return "the build or its ladder row records no readable UTC time"
        if built > datetime.now(timezone.utc):
            return "the build's time is in the future"
        if measured > built:
            return f"the ladder has measured {recipe} again since"
    try:
        accuracy = float(agreement["accuracy"]) / 100
        expected = retrain_agreement(
            recipe, accuracy, precision, results=results, device=device
        ).as_record()
    except (KeyError, TypeError, ValueError, UserError) as error:
        return f"it cannot be compared again: {error}"
    ladder_fields = ("mean", "std", "seeds", "low", "high")
    if any(agreement.get(key) != expected[key] for key in ladder_fields):
        return f"the ladder has measured {recipe} again since"
    wrong = sorted(key for key in expected if agreement.get(key) != expected[key])
    if wrong:
        return (
            f"its {', '.join(wrong)} do not follow from its accuracy and the "
            f"{section} row"
        )
    return None


def _ladder_row(
    results: Mapping[str, Any], section: str | None, recipe: str, device: str
) -> Mapping[str, Any] | None:
    """The latest row of `recipe` on `device` in the record's `section`, if any."""
    found = results.get(section) if isinstance(results, Mapping) else None
    rows = [
        row
        for row in (found if isinstance(found, list) else [])
        if isinstance(row, Mapping)
        and row.get("model") == recipe
        and row.get("device", "cpu") == device
    ]
    return rows[-1] if rows else None


def read_agreements(text: str) -> list[dict[str, Any]]:
    """Every agreement line in `text`, as `Agreement.as_record()` gives it.

    Examples:
        >>> read_agreements("no such line here")
        []

    """
    found = []
    for match in _LINE.finditer(text):
        fields = match.groupdict()
        agreement = Agreement(
            recipe=fields["recipe"],
            precision=fields["precision"],
            accuracy=float(fields["accuracy"]),
            mean=float(fields["mean"]),
            std=float(fields["std"]),
            seeds=int(fields["seeds"]),
            low=float(fields["low"]),
            high=float(fields["high"]),
        )
        found.append(agreement.as_record())
    return found
