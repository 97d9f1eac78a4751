"""The house style: figure files, source lines, tables that fit the page."""

import pandas as pd
import pytest

from exile_report import plotting
from exile_report.plotting import PALETTE, markdown_table, new_figure, save_figure


def test_save_figure_writes_png_svg_csv_and_returns_nothing(_figures_elsewhere):
    fig, ax = new_figure()
    ax.plot([2020, 2021], [1, 2])
    data = pd.DataFrame({"year": [2020, 2021], "value": [1, 2]})
    cols = {"year": ("year", "Year"), "value": ("persons", "People")}
    assert (
        save_figure(fig, "fig-test-line", data=data, source="UNHCR", display=False, columns=cols)
        is None
    )
    for ext in ("png", "svg", "csv"):
        assert (_figures_elsewhere / f"fig-test-line.{ext}").stat().st_size > 0
    svg = (_figures_elsewhere / "fig-test-line.svg").read_text()
    assert "<dc:date>" not in svg  # no clock in the file
    assert pd.read_csv(_figures_elsewhere / "fig-test-line.csv").equals(data)


def test_save_figure_is_reproducible(_figures_elsewhere):
    outputs = []
    for _ in range(2):
        fig, ax = new_figure()
        ax.bar(["a", "b"], [3, 4])
        save_figure(
            fig,
            "fig-test-bars",
            data=pd.DataFrame({"x": [3, 4]}),
            source="Source: test",
            display=False,
            columns={"x": ("", "Bar height")},
        )
        outputs.append(
            {e: (_figures_elsewhere / f"fig-test-bars.{e}").read_bytes() for e in ("png", "svg")}
        )
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    "label,source,data,message",
    [
        ("test", "x", pd.DataFrame({"a": [1]}), "must start with 'fig-'"),
        ("fig-x", " ", pd.DataFrame({"a": [1]}), "needs a source line"),
        ("fig-x", "x", pd.DataFrame(), "needs the data"),
    ],
)
def test_save_figure_refuses_incomplete_figures(label, source, data, message):
    fig, _ax = new_figure()
    with pytest.raises(ValueError, match=message):
        save_figure(fig, label, data=data, source=source, display=False)


def test_palette_is_okabe_ito():
    assert PALETTE[:3] == ["#0072B2", "#E69F00", "#009E73"]
    assert len(set(PALETTE)) == len(PALETTE)


def test_markdown_table_formats_and_sizes_columns():
    df = pd.DataFrame(
        {
            "Year": [2021, 2022],
            "Estimator": ["A research group with a long name", "B"],
            "People": [1234567.0, None],
        }
    )
    lines = markdown_table(df).splitlines()
    assert lines[0] == "| Year | Estimator | People |"
    assert lines[2] == "| 2021 | A research group with a long name | 1,234,567 |"
    assert lines[3] == "| 2022 | B | – |"
    rule = lines[1].strip("|").split("|")
    assert rule[0].endswith(":") and rule[2].endswith(":")  # numbers right-aligned
    assert rule[1].startswith(":")
    # the long text column gets the most room
    assert len(rule[1]) > len(rule[0]) and len(rule[1]) > len(rule[2])


def test_markdown_table_escapes_pipes():
    assert "a \\| b" in markdown_table(pd.DataFrame({"x": ["a | b"]}))


def test_show_table_writes_csv(_figures_elsewhere):
    df = pd.DataFrame({"a": [1]})
    assert plotting.show_table(df, "tbl-test", display=False) is None
    assert (_figures_elsewhere / "tbl-test.csv").read_text() == "a\n1\n"
