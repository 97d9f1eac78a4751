"""Parameters: declared specs, params.yml, overrides and the messages a reader sees."""

from pathlib import Path

import nbformat
import pytest
import yaml

from exile_report.params import (
    APPENDIX,
    Param,
    ParamError,
    chapter_specs,
    defaults,
    markdown_table,
    parse_override,
    resolve_chapter,
    resolve_params,
    with_table,
)

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params.yml"


def test_defaults_validate_for_every_chapter():
    values = resolve_params(PARAMS)
    assert set(values) == set(chapter_specs())
    for key, spec in chapter_specs().items():
        assert set(values[key]) == {p.name for p in spec.params}
        for p in spec.params:
            assert p.default is not None, f"{key}.{p.name} declares no default"
            assert values[key][p.name] == p.check(key, p.default)


def test_params_yml_declares_no_defaults_of_its_own(tmp_path):
    """Defaults live in one place, the declarations; a 'defaults' section is refused, not
    silently merged."""
    assert "defaults" not in yaml.safe_load(PARAMS.read_text())
    own = tmp_path / "params.yml"
    own.write_text("defaults:\n  history: {start_year: 1900}\n")
    with pytest.raises(
        ParamError, match="'defaults' section is not read: each default is declared"
    ):
        resolve_params(own)


def test_appendix_table_is_generated_from_the_declarations():
    text = (ROOT / APPENDIX).read_text(encoding="utf-8")
    assert with_table(text) == text, "run `exile-report params --update-appendix`"
    table = markdown_table()
    for key, spec in chapter_specs().items():
        for p in spec.params:
            assert f"`{p.name}` | {{{{< var params.{key}.{p.name} >}}}} |" in table
    assert "| 1 History | `start_year` |" in table and "| 4 Asylum law | `top_n` |" in table
    with pytest.raises(ParamError, match="no generated-table markers"):
        with_table("# A2 without markers\n")


def test_an_edited_appendix_table_is_detected():
    text = (ROOT / APPENDIX).read_text(encoding="utf-8")
    edited = text.replace("| 2 Scale | `as_of` |", "| 2 Scale | `as_off` |")
    assert edited != text and with_table(edited) == text


def test_named_sets_validate():
    sets = yaml.safe_load(PARAMS.read_text())["sets"]
    assert sets, "params.yml should offer at least one named set"
    for name in sets:
        resolve_params(PARAMS, param_set=name)


def test_notebook_parameters_cell_matches_the_declared_defaults():
    """The notebook runs on its own with the same defaults the book uses."""
    declared = defaults()
    for key, spec in chapter_specs().items():
        nb = nbformat.read(ROOT / spec.notebook, as_version=4)
        first = nb.cells[0]
        assert "parameters" in first.metadata.get("tags", []), spec.notebook
        ns: dict = {}
        exec(first.source, ns)  # noqa: S102 - the parameters cell holds literals only
        found = {k: v for k, v in ns.items() if not k.startswith("__")}
        assert found == declared[key], spec.notebook


@pytest.mark.parametrize(
    "text,expected",
    [
        ("history.start_year=1900", ("history", "start_year", 1900)),
        ("scale.hosts=[ARM, GEO]", ("scale", "hosts", ["ARM", "GEO"])),
        ("scale.as_of=2023-06-30", ("scale", "as_of", "2023-06-30")),
        ("asylum-law.origins=[RUS,BLR]", ("asylum-law", "origins", ["RUS", "BLR"])),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


def test_override_applies():
    values = resolve_params(PARAMS, ["history.start_year=1900", "asylum-law.origins=[RUS]"])
    assert values["history"]["start_year"] == 1900
    assert values["asylum-law"]["origins"] == ["RUS"]


def test_chapter_aliases():
    assert resolve_chapter("02-scale") == "scale"
    assert resolve_chapter("chapters/02-scale.ipynb") == "scale"
    with pytest.raises(ParamError, match="unknown chapter 'scal'.*did you mean 'scale'"):
        resolve_chapter("scal")


@pytest.mark.parametrize(
    "override,message",
    [
        ("history.start_year=abc", r"history\.start_year: expected a whole number, got 'abc'"),
        ("history.start_year=1500", r"history\.start_year: 1500 is below the minimum 1700"),
        (
            "history.start_yer=1900",
            r"unknown parameter history\.start_yer \(did you mean 'start_year'",
        ),
        ("histroy.start_year=1900", r"unknown chapter 'histroy'"),
        ("history.start_year=2000", None),
        ("scale.hosts=ARM", r"expected a list of str"),
        ("scale.as_of=2023-13-45", r"scale\.as_of: expected a date YYYY-MM-DD"),
        ("scale.as_of=yesterday", r"scale\.as_of: expected a date YYYY-MM-DD, got 'yesterday'"),
        ("history.categories=[law, wars]", r"'wars' is not allowed \(did you mean 'war'\?\)"),
        ("history.categories=[]", r"the list must not be empty"),
        ("asylum-law.origins=[XXX]", r"asylum-law\.origins: 'XXX' is not allowed"),
        ("asylum-law.top_n=true", r"expected a whole number, got True"),
        ("asylum-law.min_decisions=-1", r"below the minimum 0"),
        ("history", r"expected CHAPTER\.NAME=VALUE"),
        ("history.start_year=[1900", r"not valid YAML"),
    ],
)
def test_bad_overrides_are_refused(override, message):
    if message is None:
        resolve_params(PARAMS, [override])
        return
    with pytest.raises(ParamError, match=message):
        resolve_params(PARAMS, [override])


def test_cross_parameter_checks():
    with pytest.raises(ParamError, match=r"start_year \(2020\) is after end_year \(2010\)"):
        resolve_params(PARAMS, ["history.start_year=2020", "history.end_year=2010"])
    with pytest.raises(ParamError, match=r"source_choice names 'GEO', which is not in hosts"):
        resolve_params(PARAMS, ["scale.hosts=[ARM]", "scale.source_choice={GEO: E001}"])


def test_malformed_params_file(tmp_path):
    bad = tmp_path / "params.yml"
    bad.write_text("sets:\n  x: {history: {start_year: 1822}\n")
    with pytest.raises(ParamError, match=r"params\.yml: line \d+, column \d+: malformed YAML"):
        resolve_params(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(ParamError, match="expected a mapping with a 'sets' section"):
        resolve_params(bad)
    with pytest.raises(ParamError, match="parameter file not found"):
        resolve_params(tmp_path / "missing.yml")


def test_unknown_set(tmp_path):
    with pytest.raises(ParamError, match="unknown parameter set 'nope'"):
        resolve_params(PARAMS, param_set="nope")


def test_code_cannot_pass_as_a_value():
    """Only plain scalars reach a notebook: anything else is refused by type."""
    p = Param("x", "str", "text")
    assert p.check("c", "__import__('os').system('x')") == "__import__('os').system('x')"
    with pytest.raises(ParamError):
        Param("n", "int", "n").check("c", "__import__('os')")
    with pytest.raises(ParamError):
        Param("d", "dict[str]", "d").check("c", {"a": ["nested"]})


def test_a_notebook_run_by_hand_checks_its_parameters_like_the_build():
    from exile_report.notebook import setup

    ns = dict(defaults()["history"], start_year=2030, end_year=2000)
    with pytest.raises(ParamError, match=r"parameters of history: start_year \(2030\) is after"):
        setup("history", ns)
    with pytest.raises(ParamError, match=r"parameter history\.categories is not set"):
        setup("history", {"start_year": 1900, "end_year": 2000})
    assert setup("history", dict(defaults()["history"])) == resolve_params(PARAMS)["history"]
