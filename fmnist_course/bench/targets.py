"""The course's targets, and how the recorded figures measure up to them.

Each target is a number the course promises on the standard test set or on
the machine that measured it: an accuracy per lesson model and what one seed of
the best recipe costs to train (`fmnist_course.bench.ladder_targets`); each
lesson's and the whole course's runtime in full mode (wall and CPU time, on 2
cores), from a fresh clone, and with the lessons retraining; how much sooner
the best recipe reaches an accuracy than the original, the speed of the
course's training path, and peak memory. `evaluate_targets` is pure: it
reads the results mapping and returns one verdict per target and device, which
`fmnist_course.bench.record` stores under `targets` and the README renders.

Examples:
    >>> evaluate_targets({})
    {}

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmnist_course.bench.ladder_targets import (
    ACCURACY_TARGETS,
    accuracy_target,
    best_training_target,
)
from fmnist_course.recipes import RECIPES
from fmnist_course.retrained import RETRAINED_RECIPES, outdated_agreement

TIME_TO_ACCURACY_TARGET = 10.0
SPEED_TARGET = 1.0
MEMORY_TARGET_MIB = 2048.0
LESSON_MINUTES_TARGET = 5.0
"""Each lesson, in full mode, executes within this many minutes of wall time
on two cores: a lesson shows a long training, it does not wait for one."""
COURSE_WALL_MINUTES_TARGET = 20.0
"""The whole course, every lesson in full mode as `fmnist-course site build
--force` executes them (side by side where it can), within this many minutes
of wall time on two cores."""
COURSE_CPU_MINUTES_TARGET = 40.0
"""The whole course within this many CPU-minutes, all the kernels' threads
together: what it costs, however the lessons share the cores."""
TARGET_CORES = 2
"""The course's standard machine: the runtime targets hold on this many
logical cores. A build on more cores measures an easier machine, so it shows
its figures but meets no runtime target."""
TIME_TO_ACCURACY_THRESHOLD = ACCURACY_TARGETS["challenge"]
"""The test accuracy `bench time-to-accuracy` races both recipes to: the one
the challenge model is held to."""


def evaluate_targets(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Check the course's targets against the recorded figures, per device.

    The targets: each lesson model's mean test accuracy over at least
    `MIN_SEEDS` seeds (`ladder_targets.accuracy_target`); each seed of the
    best model trained within `BEST_TRAINING_CPU_MINUTES_TARGET` CPU-minutes
    (`ladder_targets.best_training_target`), both from ladder rows of
    today's recipes; each lesson's and the whole course's runtime in full
    mode (`runtime_targets`); `make course` on a fresh clone
    (`fresh_clone_target`); the course built with the lessons retraining
    (`retrain_target`); the course's fastest recipe (`bench
    time-to-accuracy`'s race recipe) reaches the accuracy
    threshold at least 10x sooner than the original recipe; the course's
    training path is at least as fast as a plain `model.fit` (ratio >= 1.0);
    the peak resident memory while training any lesson model stays under 2 GiB.

    Returns:
        For each device with figures, a list of `{"name", "target",
        "measured", "unit", "met"}` (and a `note` where the measurement
        needs a word); `measured` is `None` (and `met` false) until the
        benchmark has run.

    Examples:
        >>> targets = evaluate_targets({"speed": {"cpu": {"ratio": 1.02}}})
        >>> [(t["name"], t["met"]) for t in targets["cpu"]][-3:]
        [('time_to_accuracy', False), ('speed', True), ('peak_memory', False)]

    """
    devices = {row.get("device", "cpu") for row in results.get("ladder", [])}
    devices |= set(results.get("speed", {})) | set(results.get("time_to_accuracy", {}))
    devices |= set(results.get("course_runtime", {}))
    devices |= set(results.get("fresh_clone", {}))
    devices |= set(results.get("retrain_build", {}))
    targets: dict[str, list[dict[str, Any]]] = {}
    for device in sorted(devices):
        race = results.get("time_to_accuracy", {}).get(device)
        race_ratio = race.get("ratio") if race else None
        speed = results.get("speed", {}).get(device)
        speed_ratio = speed.get("ratio") if speed else None
        rows = [
            row
            for row in results.get("ladder", [])
            if row.get("device", "cpu") == device
        ]
        memory = [row["peak_rss_mib"] for row in rows if "peak_rss_mib" in row]
        peak = max(memory) if memory else None
        threshold = TIME_TO_ACCURACY_THRESHOLD
        if race:
            threshold = race.get("threshold", TIME_TO_ACCURACY_THRESHOLD)
        by_model = {row["model"]: row for row in rows}
        runtime = results.get("course_runtime", {}).get(device)
        targets[device] = [
            accuracy_target(model, goal, by_model.get(model))
            for model, goal in ACCURACY_TARGETS.items()
        ]
        targets[device] += [
            best_training_target(
                by_model.get("best"), by_model.get("challenge"), device
            ),
            *runtime_targets(runtime),
            fresh_clone_target(results.get("fresh_clone", {}).get(device)),
            retrain_target(
                results.get("retrain_build", {}).get(device), results, device
            ),
            {
                "name": "time_to_accuracy",
                "target": f"fastest recipe reaches {threshold:.1%} test accuracy "
                f">= {TIME_TO_ACCURACY_TARGET:g}x sooner than the original recipe",
                "measured": race_ratio,
                "unit": "ratio",
                "met": race_ratio is not None and race_ratio >= TIME_TO_ACCURACY_TARGET,
            },
            {
                "name": "speed",
                "target": "course training path images/s over plain model.fit "
                f">= {SPEED_TARGET:g}",
                "measured": speed_ratio,
                "unit": "ratio",
                "met": speed_ratio is not None and speed_ratio >= SPEED_TARGET,
            },
            {
                "name": "peak_memory",
                "target": "peak resident memory while training any lesson model "
                f"< {MEMORY_TARGET_MIB / 1024:g} GiB",
                "measured": peak,
                "unit": "MiB",
                "met": peak is not None and peak < MEMORY_TARGET_MIB,
            },
        ]
    return targets


def runtime_targets(runtime: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The verdicts on the course's runtime, from one device's `course_runtime`.

    Three targets, each its own row, as `fmnist-course site build --force`
    records them on an idle machine:

    - `lesson_runtime`: every lesson within `LESSON_MINUTES_TARGET` minutes
      of wall time; measured is the slowest lesson's (named in `note`). A
      build that runs lessons side by side times each lesson while another
      shares the cores, which only makes the target harder to meet.
    - `course_wall_time`: the build's wall time for all the lessons
      (`wall_seconds`, recorded only when it executed every lesson) within
      `COURSE_WALL_MINUTES_TARGET` minutes.
    - `course_cpu_time`: the kernels' CPU time, all lessons together
      (`total_cpu_seconds`), within `COURSE_CPU_MINUTES_TARGET` CPU-minutes.

    A figure the record lacks is `None` and meets nothing; `note` says which
    command measures it. A build on more than `TARGET_CORES` logical cores
    shows its figures but meets nothing either.

    Args:
        runtime: The device's `course_runtime` entry, or `None`.

    Returns:
        The three rows, each `{"name", "target", "measured", "unit", "met"}`,
        with a `note` where the measurement needs a word.

    Examples:
        >>> entry = {"lessons": [{"lesson": "00_the_data", "seconds": 30.0},
        ...                      {"lesson": "07_beyond", "seconds": 420.0}],
        ...          "total_seconds": 450.0, "wall_seconds": 440.0, "jobs": 1,
        ...          "machine": {"logical_cores": 2}}
        >>> [(t["name"], t["measured"], t["met"]) for t in runtime_targets(entry)]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('lesson_runtime', 7.0, False), ('course_wall_time', 7.3, True),
         ('course_cpu_time', None, False)]
        >>> runtime_targets(entry)[0]["note"]
        'slowest: 07_beyond; 1 of 2 lessons over'

    """
    runtime = runtime or {}
    cores = runtime.get("machine", {}).get("logical_cores")
    standard = cores is None or cores <= TARGET_CORES
    again = "not measured: run `fmnist-course site build --force` on an idle machine"
    lessons = runtime.get("lessons") or []
    slowest = max(lessons, key=lambda lesson: lesson["seconds"], default=None)
    lesson_minutes = slowest["seconds"] / 60 if slowest else None
    wall = runtime.get("wall_seconds")
    wall_minutes = wall / 60 if wall is not None else None
    cpu = runtime.get("total_cpu_seconds")
    cpu_minutes = cpu / 60 if cpu is not None else None
    rows = [
        {
            "name": "lesson_runtime",
            "target": f"each lesson in full mode within {LESSON_MINUTES_TARGET:g} "
            f"minutes of wall time on {TARGET_CORES} cores",
            "measured": _minutes(lesson_minutes),
            "unit": "minutes",
            "met": lesson_minutes is not None
            and lesson_minutes <= LESSON_MINUTES_TARGET,
        },
        {
            "name": "course_wall_time",
            "target": f"the whole course in full mode within "
            f"{COURSE_WALL_MINUTES_TARGET:g} minutes of wall time on "
            f"{TARGET_CORES} cores",
            "measured": _minutes(wall_minutes),
            "unit": "minutes",
            "met": wall_minutes is not None
            and wall_minutes <= COURSE_WALL_MINUTES_TARGET,
        },
        {
            "name": "course_cpu_time",
            "target": f"the whole course in full mode within "
            f"{COURSE_CPU_MINUTES_TARGET:g} CPU-minutes",
            "measured": _minutes(cpu_minutes),
            "unit": "CPU-minutes",
            "met": cpu_minutes is not None and cpu_minutes <= COURSE_CPU_MINUTES_TARGET,
        },
    ]
    if slowest:
        over = [
            lesson
            for lesson in lessons
            if lesson["seconds"] / 60 > LESSON_MINUTES_TARGET
        ]
        rows[0]["note"] = f"slowest: {slowest['lesson']}"
        if over:
            rows[0]["note"] += f"; {len(over)} of {len(lessons)} lessons over"
        if (runtime.get("jobs") or 1) > 1:
            rows[0]["note"] += f"; {runtime['jobs']} lessons at once"
    if wall is not None and (runtime.get("jobs") or 1) > 1:
        rows[1]["note"] = f"{runtime['jobs']} lessons at once"
    for row in rows:
        if row["measured"] is None:
            row["note"] = again
        elif not standard:
            row["met"] = False
            row["note"] = (
                f"{row['note']}; " if "note" in row else ""
            ) + f"on {cores} logical cores, not {TARGET_CORES}"
    return rows


FRESH_CLONE_MINUTES_TARGET = 30.0
"""`make course` on a fresh clone, set-up included, within this many minutes."""


def fresh_clone_minutes(entry: Mapping[str, Any]) -> float:
    """Set-up and course together, in minutes, to one decimal.

    Examples:
        >>> fresh_clone_minutes({"setup_seconds": 120.0, "course_seconds": 900.0})
        17.0

    """
    return round((entry["setup_seconds"] + entry["course_seconds"]) / 60, 1)


def fresh_clone_target(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The verdict on `make course` from a fresh clone, set-up included.

    Measured by `fmnist-course bench fresh-clone`
    (`fmnist_course.bench.fresh_clone`), whose `fresh_clone` entry holds the
    wall seconds of `make setup` and of `make course` in the clone.

    Examples:
        >>> row = fresh_clone_target({"setup_seconds": 300.0,
        ...                           "course_seconds": 900.0, "commit": "ab12"})
        >>> row["measured"], row["met"]
        (20.0, True)
        >>> fresh_clone_target(None)["met"]
        False

    """
    minutes = fresh_clone_minutes(entry) if entry else None
    row = {
        "name": "fresh_clone_course",
        "target": f"`make course` on a fresh clone, set-up from pip's cache "
        f"included, within {FRESH_CLONE_MINUTES_TARGET:g} minutes",
        "measured": minutes,
        "unit": "minutes",
        "met": minutes is not None and minutes <= FRESH_CLONE_MINUTES_TARGET,
    }
    if entry:
        row["note"] = (
            f"set-up {entry['setup_seconds'] / 60:.1f} min, course "
            f"{entry['course_seconds'] / 60:.1f} min, commit {entry['commit'][:7]}"
        )
    else:
        row["note"] = "not measured: run `fmnist-course bench fresh-clone`"
    return row


def retrain_target(
    entry: Mapping[str, Any] | None,
    results: Mapping[str, Any] | None = None,
    device: str = "cpu",
    lessons: list[str] | None = None,
) -> dict[str, Any]:
    """The verdict on the course built with the retrain switch on.

    Measured by `FMNIST_RETRAIN=1 fmnist-course site build --force`, which
    records each lesson's comparison of its retrained recipe with the ladder
    (`fmnist_course.website.retrain_record`) once the site has built, so an
    entry means the course built. Met when every recipe of
    `RETRAINED_RECIPES` was compared in the lesson that teaches it, the
    build ran every lesson of the course and built the site, on the device
    the entry is filed under, each comparison (once per lesson and recipe)
    names the precision the build trained in, and every comparison was
    within the ladder's seed spread. Given the record,
    an agreement that no longer speaks for today's recipe and ladder
    (`retrained.outdated_agreement`, which also recomputes its figures) does
    not count.

    Args:
        entry: The record's `retrain_build` entry for `device`.
        results: The record, to hold each agreement to today's ladder rows;
            `None` reads the entry alone.
        device: The device the entry is filed under.
        lessons: The course's lessons by stem; `None`: the `lessons/` folder's.

    Examples:
        >>> agreement = {"recipe": "cnn", "difference": 0.1, "limit": 1.2,
        ...              "agrees": True, "lesson": "02_convolutions",
        ...              "precision": "float32"}
        >>> entry = {"agreements": [agreement], "wall_seconds": 60.0,
        ...          "lessons": ["02_convolutions"],
        ...          "machine": {"device": "cpu", "dtype_policy": "float32"}}
        >>> row = retrain_target(entry, lessons=["02_convolutions"])
        >>> row["measured"], row["met"]
        (1.0, False)
        >>> row["note"]  # doctest: +ELLIPSIS
        'cnn in 02 +0.10 (limit 1.20); not compared in its own lesson: best, ...'

    """
    row = {
        "name": "retrain_course",
        "target": "with `FMNIST_RETRAIN=1` the course builds, and each retrained "
        "recipe's test accuracy is within the ladder's seed spread",
        "unit": "share agreeing",
    }
    if not entry:
        return {
            **row,
            "measured": None,
            "met": False,
            "note": "not measured: run "
            "`FMNIST_RETRAIN=1 fmnist-course site build --force`",
        }
    agreements = entry["agreements"]
    course = _course_lessons() if lessons is None else list(lessons)
    built = entry.get("lessons") or []
    partial = sorted(built) != sorted(course)
    machine = entry.get("machine") or {}
    seen: set[tuple[Any, Any]] = set()
    outdated = []
    for a in agreements:
        key = (a.get("lesson"), a.get("recipe"))
        outdated.append(
            ("it repeats an earlier comparison" if key in seen else None)
            or _uncounted(a, machine, course)
            or (
                None
                if results is None
                else outdated_agreement(a, results, device, entry.get("measured_at"))
            )
        )
        seen.add(key)
    agreeing = sum(
        a["agrees"] is True and why is None
        for a, why in zip(agreements, outdated, strict=True)
    )
    missing = sorted(
        recipe
        for recipe in RETRAINED_RECIPES
        if not any(
            a["recipe"] == recipe and a.get("lesson") == _own_lesson(recipe, course)
            for a in agreements
        )
    )
    notes = [
        f"{a['recipe']}{_in_lesson(a)} {a['difference']:+.2f} (limit {a['limit']:.2f})"
        + ("" if why is None else f", not counted: {why}")
        for a, why in zip(agreements, outdated, strict=True)
    ]
    if missing:
        notes.append(f"not compared in its own lesson: {', '.join(missing)}")
    if partial:
        notes.append(
            f"the build ran {len(built)} lessons, not the course's {len(course)}"
        )
    has_gpus = "gpu" if machine.get("gpus") else "cpu"
    elsewhere = machine.get("device", device) != device or has_gpus != device
    if elsewhere:
        notes.append(
            f"built on {machine.get('device')!r} with GPUs {machine.get('gpus')!r}, "
            f"recorded as {device!r}"
        )
    unbuilt = not isinstance(entry.get("site_seconds"), int | float)
    if unbuilt:
        notes.append("no sign that the site built (no site_seconds)")
    notes.append(f"lessons executed in {entry['wall_seconds'] / 60:.1f} min")
    if not unbuilt:
        notes.append(f"site built in {entry['site_seconds']:.0f} s")
    return {
        **row,
        "measured": round(agreeing / len(agreements), 2) if agreements else None,
        "met": bool(agreements)
        and agreeing == len(agreements)
        and not missing
        and not partial
        and not elsewhere
        and not unbuilt,
        "note": "; ".join(notes),
    }


def _course_lessons() -> list[str]:
    """The course's lessons, by file stem (`00_the_data`, ...)."""
    from fmnist_course.authoring.lesson_files import lesson_paths

    return [path.stem for path in lesson_paths()]


def _own_lesson(recipe: str, course: list[str]) -> str | None:
    """The lesson of `course` that teaches `recipe`, by stem, if any."""
    number = RECIPES[recipe].lesson if recipe in RECIPES else ""
    found = [stem for stem in course if number and stem.startswith(f"{number}_")]
    return found[0] if len(found) == 1 else None


def _uncounted(
    agreement: Mapping[str, Any], machine: Mapping[str, Any], course: list[str]
) -> str | None:
    """Why a build's agreement cannot count whatever the ladder says, if so."""
    if agreement.get("lesson") not in course:
        return f"lesson {agreement.get('lesson')!r} is not one of the course's"
    trained = machine.get("dtype_policy")
    if agreement.get("precision") != trained:
        return (
            f"compared as {agreement.get('precision')!r}, but the build trained "
            f"in {trained!r}"
        )
    return None


def _in_lesson(agreement: Mapping[str, Any]) -> str:
    """` in 02`: the lesson that retrained, where the agreement names it."""
    lesson = agreement.get("lesson")
    return f" in {lesson[:2]}" if isinstance(lesson, str) else ""


def _minutes(minutes: float | None) -> float | None:
    """Minutes as the targets record them: to a tenth, or `None` unmeasured."""
    return None if minutes is None else round(minutes, 1)
