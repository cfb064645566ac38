"""The mutation record: mutmut's verdicts read right, scored right, listed whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib

from fmnist_course.bench.mutation import (
    MUTATION_TARGET,
    load_judgements,
    read_verdicts,
    summarize,
)
from fmnist_course.bench.schema import validate_results
from fmnist_course.website.results_page import results_page

ROOT = Path(__file__).resolve().parent.parent


def write_meta(mutants: Path, module: str, codes: dict[str, int | None]) -> None:
    meta = mutants / f"{module}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))


def test_verdicts_follow_mutmuts_exit_codes(tmp_path):
    """Promise: a failed test is a kill, a hang is caught, exit 0 is a survivor."""
    write_meta(
        tmp_path,
        "fmnist_course/data.py",
        {
            "d.x_f__mutmut_1": 1,
            "d.x_f__mutmut_2": 0,
            "d.x_f__mutmut_3": 33,
            "d.x_f__mutmut_4": 36,
        },
    )
    verdicts = read_verdicts(tmp_path)
    assert verdicts == {
        "fmnist_course/data.py": {
            "d.x_f__mutmut_1": "killed",
            "d.x_f__mutmut_2": "survived",
            "d.x_f__mutmut_3": "no tests",
            "d.x_f__mutmut_4": "timeout",
        }
    }
    section = summarize(
        verdicts, {"d.x_f__mutmut_2": "-a\n+b", "d.x_f__mutmut_3": "-c\n+d"}
    )
    (row,) = section["modules"]
    assert (row["killed"], row["timeout"], row["survived"], row["no_tests"]) == (
        1,
        1,
        1,
        1,
    )
    assert row["score"] == 0.5 and row["met"] is False
    assert [s["mutant"] for s in section["survivors"]] == [
        "d.x_f__mutmut_2",
        "d.x_f__mutmut_3",
    ]


def test_no_verdicts_says_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="make mutants"):
        read_verdicts(tmp_path)


def test_judgements_match_by_change_and_stale_ones_are_reported():
    """Promise: a harmless verdict names its reason, and a stale one shows up."""
    verdicts = {"m.py": {"m.x_f__mutmut_1": "survived", "m.x_f__mutmut_2": "survived"}}
    judgements = [
        {"module": "m.py", "change": "-a\n+b", "reason": "equivalent"},
        {"module": "m.py", "change": "-gone\n+away", "reason": "old"},
    ]
    changes = {"m.x_f__mutmut_1": "-a\n+b", "m.x_f__mutmut_2": "-x\n+y"}
    section = summarize(verdicts, changes, judgements)
    assert [s["harmless"] for s in section["survivors"]] == ["equivalent", None]
    assert section["stale_judgements"] == [{"module": "m.py", "change": "-gone\n+away"}]


def test_a_judgement_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "judgements.json"
    path.write_text(json.dumps([{"module": "m.py", "change": "-a\n+b"}]))
    with pytest.raises(ValueError, match="reason"):
        load_judgements(path)


def test_the_recorded_section_passes_the_schema_and_reaches_the_results_page():
    verdicts = {"m.py": {f"m.x_f__mutmut_{i}": "killed" for i in range(9)}}
    verdicts["m.py"]["m.x_f__mutmut_9"] = "survived"
    section = summarize(verdicts, {"m.x_f__mutmut_9": "-    return 1\n+    return 2"})
    section["measured_at"] = "2026-12-04T00:00:00Z"
    validate_results({"mutation": section})
    page = results_page({"mutation": section}, None)
    assert "| `m.py` | 10 | 9 | 1 | 0 | 90.0% |" in page
    assert "+    return 2" in page
    assert section["modules"][0]["met"] is (0.9 >= MUTATION_TARGET)


def test_the_schema_refuses_a_score_its_counts_do_not_give():
    """Promise: the record cannot claim a score its counts do not support."""
    verdicts = {"m.py": {"m.x_f__mutmut_1": "killed", "m.x_f__mutmut_2": "survived"}}
    section = summarize(verdicts, {})
    section["measured_at"] = "2026-12-04T00:00:00Z"
    section["modules"][0]["score"] = 0.9
    with pytest.raises(ValueError, match="counts give 0.5"):
        validate_results({"mutation": section})


def test_a_run_cut_short_meets_no_target():
    """Promise: mutants left unchecked (a run stopped early) cannot make a module
    meet its target by dropping out of the score."""
    verdicts = {"m.py": {f"m.x_f__mutmut_{i}": "killed" for i in range(9)}}
    verdicts["m.py"]["m.x_f__mutmut_9"] = "not checked"
    section = summarize(verdicts, {})
    section["measured_at"] = "2026-12-04T00:00:00Z"
    (row,) = section["modules"]
    assert (row["score"], row["not_checked"], row["met"]) == (1.0, 1, False)
    validate_results({"mutation": section})
    row["met"] = True
    with pytest.raises(ValueError, match="1 mutants not checked"):
        validate_results({"mutation": section})


def test_mutmut_is_configured_on_modules_and_tests_that_exist():
    """Promise: moving a core module or its tests cannot silently drop it from
    mutation testing."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules = config["only_mutate"]
    assert modules, "no module is configured for mutation testing"
    for module in modules:
        assert (ROOT / module).is_file(), f"[tool.mutmut] names {module}, which is gone"
    for test in config["pytest_add_cli_args_test_selection"]:
        assert (ROOT / test).exists(), f"[tool.mutmut] selects {test}, which is gone"


def test_the_recorded_scores_cover_every_configured_module():
    """Promise: a recorded mutation section scores exactly the modules mutmut is
    set on, so moving or adding a module cannot leave a stale score standing.
    Until `make mutants` has run, the results page says it is not measured."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    if "mutation" not in results:
        assert "Not measured yet: mutation. Run `make mutants`." in results_page(
            results, None
        )
        return
    recorded = {row["module"] for row in results["mutation"]["modules"]}
    assert recorded == set(config["only_mutate"])


def _section(**row_changes):
    verdicts = {
        "m.py": {
            "m.x_f__mutmut_1": "killed",
            "m.x_f__mutmut_2": "timeout",
            "m.x_f__mutmut_3": "survived",
            "m.x_f__mutmut_4": "no tests",
        }
    }
    section = summarize(verdicts, {})
    section["measured_at"] = "2026-12-04T00:00:00Z"
    section["modules"][0].update(row_changes)
    return section


def test_the_schema_checks_each_counts_claim_by_its_path():
    """Promise: a mutation row's counts, score and verdict agree, or the record
    refuses it and names the row."""
    good = _section()
    assert good["modules"][0]["score"] == 0.5
    validate_results({"mutation": good})
    with pytest.raises(ValueError) as raised:
        validate_results({"mutation": _section(mutants=3)})
    assert str(raised.value).startswith(
        "results.json: mutation.modules[0] counts 4 verdicts for 3 mutants."
    )
    with pytest.raises(ValueError) as raised:
        validate_results({"mutation": _section(met=True)})
    assert str(raised.value).startswith(
        "results.json: mutation.modules[0].met is True for score 0.5 with 0 "
        "mutants not checked"
    )
    with pytest.raises(ValueError) as raised:
        validate_results({"mutation": _section(score=0.75)})
    assert str(raised.value).startswith(
        "results.json: mutation.modules[0].score is 0.75, but its counts give 0.5; "
        "re-record it with `make mutants`."
    )
    at_target = _section(
        killed=4, timeout=0, survived=1, no_tests=0, mutants=5, score=0.8, met=True
    )
    validate_results({"mutation": at_target})
    empty = _section(killed=0, timeout=0, survived=0, no_tests=0, score=0.0, met=False)
    validate_results({"mutation": empty})
