"""The table declarations live in ``src/exile_report/tables.yml``: a malformed one is refused in
one line that names the table and the column, and shared pieces (aliases, templates, spliced
lists) build the same columns as writing them out."""

from __future__ import annotations

import textwrap

import pytest

from exile_report.schemas import TABLES_FILE, Col, DeclarationError, read_declarations

GOOD_COLUMN = "{name: quarter, type: integer, ge: 1, le: 4, description: Quarter of the year}"


def _doc(column: str = GOOD_COLUMN, table_extra: str = "") -> str:
    return textwrap.dedent(
        f"""\
        processed:
          uk_applications:
            description: UK asylum applications per quarter
            key: [quarter]{table_extra}
            columns:
              - {column}
        """
    )


def _refused(text: str) -> str:
    with pytest.raises(DeclarationError) as info:
        read_declarations(text, "tables.yml")
    message = str(info.value)
    assert "\n" not in message, message
    return message


def test_the_sketch_of_a_declaration_is_read():
    _vocabularies, (table,) = read_declarations(_doc(), "tables.yml")
    assert table.name == "uk_applications" and table.folder == "processed"
    assert table.key == ("quarter",)
    assert table.columns == (
        Col("quarter", "integer", ge=1, le=4, description="Quarter of the year"),
    )


def test_an_unknown_key_names_table_column_and_key():
    message = _refused(_doc("{name: quarter, type: integer, min: 1, description: Quarter}"))
    assert message.startswith(
        "tables.yml: table 'uk_applications', column 'quarter': unknown key 'min'"
    ), message


def test_a_column_without_description_names_table_and_column():
    message = _refused(_doc("{name: quarter, type: integer, ge: 1, le: 4}"))
    assert message == "tables.yml: table 'uk_applications', column 'quarter': no description"


def test_an_empty_description_counts_as_none():
    message = _refused(_doc("{name: quarter, description: '  '}"))
    assert message == "tables.yml: table 'uk_applications', column 'quarter': no description"


def test_a_table_without_description_is_named():
    text = _doc().replace("    description: UK asylum applications per quarter\n", "")
    assert _refused(text) == "tables.yml: table 'uk_applications': no description"


@pytest.mark.parametrize(
    ("column", "says"),
    [
        ("{name: quarter, required: no-thanks, description: Q}", "required must be true or false"),
        ("{name: quarter, type: integr, description: Q}", "type 'integr' is not one of"),
        ("{name: quarter, allowed: Q1, description: Q}", "allowed must be a list"),
        ("{name: quarter, ge: one, description: Q}", "ge must be a number"),
    ],
)
def test_a_wrong_value_names_table_column_and_field(column, says):
    message = _refused(_doc(column))
    assert message.startswith("tables.yml: table 'uk_applications', column 'quarter': ")
    assert says in message, message


def test_a_key_column_that_is_not_declared_is_named():
    message = _refused(_doc().replace("key: [quarter]", "key: [quarter, year]"))
    assert message.startswith("tables.yml: table 'uk_applications', column 'year': "), message


def test_a_column_declared_twice_is_named():
    twice = _doc().replace(f"      - {GOOD_COLUMN}\n", f"      - {GOOD_COLUMN}\n" * 2)
    assert _refused(twice).endswith("column 'quarter': declared twice")


def test_an_unknown_section_and_broken_yaml_are_one_line():
    assert "unknown section 'tabels'" in _refused("tabels: {}\n")
    assert _refused("processed: [\n").startswith("tables.yml: not valid YAML: ")


def test_aliases_templates_and_spliced_lists_build_the_written_out_columns():
    text = textwrap.dedent(
        """\
        vocabularies:
          origins: &origins [RUS, UKR, BLR]
        templates:
          count: &count {type: integer, ge: 0}
        columns:
          pair: &pair
            - {name: a, allowed: [*origins, WLD], description: Origin or all}
            - {<<: *count, name: n, unit: persons, description: People}
        curated:
          t:
            description: A table
            columns:
              - *pair
              - {<<: *count, name: m, required: false, description: More}
        """
    )
    vocabularies, (table,) = read_declarations(text, "tables.yml")
    assert vocabularies == {"origins": ("RUS", "UKR", "BLR")}
    assert table.folder == "curated" and table.key == () and table.strict
    assert table.columns == (
        Col("a", allowed=("RUS", "UKR", "BLR", "WLD"), description="Origin or all"),
        Col("n", "integer", ge=0, unit="persons", description="People"),
        Col("m", "integer", required=False, ge=0, description="More"),
    )


def test_the_declarations_ship_as_package_data():
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["exile_report"]
    shipped = TABLES_FILE.relative_to(root / "src" / "exile_report").as_posix()
    assert any(fnmatch.fnmatch(shipped, p) for p in patterns), patterns
