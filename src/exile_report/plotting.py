"""The house style for every figure in the report, and the one way figures leave a notebook.

Colours come from the Okabe-Ito palette, which stays distinguishable under the common forms of
colour-vision deficiency. :func:`save_figure` writes the image (PNG and SVG) and the data behind
it (CSV) under ``figures/`` and displays the figure in the notebook, followed by an ordinary
Markdown output with its source line and download links (:func:`figure_meta_markdown`), which
both engines render once, under the figure.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import patheffects

from .escape import markdown_cell, markdown_text
from .paths import FIGURES

# Okabe & Ito (2008), "Color Universal Design". Order chosen so the first colours contrast most.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE = [
    OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")
]
GREY = "#6b6b6b"
LIGHT_GREY = "#d9d9d9"

#: Dates drawn as reference lines on time charts (label, ISO date).
KEY_DATES = {
    "invasion": ("Invasion of Ukraine", "2022-02-24"),
    "mobilisation": ("Mobilisation decree", "2022-09-21"),
}

#: A white outline for labels drawn over lines or coloured areas, so they stay legible.
LABEL_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]

FIG_WIDTH = 7.0  # inches; fits the PDF text block and scales down on phones
DPI = 150

STYLE = {
    "figure.figsize": (FIG_WIDTH, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": LIGHT_GREY,
    "grid.linewidth": 0.6,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    # Reproducible bytes: no random ids in SVG, text kept as paths so fonts need not travel.
    "svg.hashsalt": "exile-report",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}


def apply_style() -> None:
    """Apply the house style to matplotlib's global settings."""
    plt.rcParams.update(STYLE)


def new_figure(height: float = 4.2, ncols: int = 1, nrows: int = 1, **kwargs):
    """A figure in the house style, the width of the PDF text block."""
    apply_style()
    return plt.subplots(nrows, ncols, figsize=(FIG_WIDTH, height), layout="constrained", **kwargs)


def thousands(x, _pos=None) -> str:
    """Tick formatter: 12,345 (the comma is the report's thousands separator)."""
    return f"{x:,.0f}"


def mark_dates(ax, keys=("invasion", "mobilisation"), *, label: bool = True, as_year: bool = False):
    """Draw the key dates (invasion, mobilisation) as thin vertical lines with short labels.

    With ``as_year`` the x axis holds years as numbers and the line is placed at the fractional year.
    """
    for i, key in enumerate(keys):
        text, iso = KEY_DATES[key]
        ts = pd.Timestamp(iso)
        x = ts.year + (ts.day_of_year - 1) / 365.25 if as_year else ts
        ax.axvline(x, color=GREY, linewidth=0.8, linestyle="--", zorder=0)
        if label:
            ax.annotate(
                text,
                xy=(x, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -2 - 11 * i),
                textcoords="offset points",
                fontsize=7.5,
                color=GREY,
                va="top",
            )


_SVG_ID = re.compile(r'id="(p[0-9a-f]{8,})"')


def _stable_svg_ids(svg: str) -> str:
    """Number matplotlib's clip-path ids in order of appearance.

    Matplotlib derives them from a hash of the clip path and its transform, whose text can carry
    per-process details; numbering them makes the same figure give the same bytes every time.
    """
    mapping = {old: f"clip{i}" for i, old in enumerate(dict.fromkeys(_SVG_ID.findall(svg)), 1)}
    if not mapping:
        return svg
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], svg)


def svg_to_png(svg_path: Path, *, width_in: float, dpi: int = DPI) -> bytes:
    """Rasterise an SVG file to PNG bytes, ``width_in`` inches wide at ``dpi``, on white.

    Uses typst (already the PDF engine) and its bundled SVG renderer: the same input gives the
    same bytes on every machine, and no font is looked up because the SVG's text is paths.
    """
    import typst

    path = Path(svg_path).resolve().as_posix().replace("\\", "\\\\").replace('"', '\\"')
    source = (
        "#set page(width: auto, height: auto, margin: 0pt, fill: white)\n"
        f'#image("{path}", width: {width_in:.4f}in)\n'
    )
    return typst.compile(
        source.encode("utf-8"), root="/", format="png", ppi=dpi, ignore_system_fonts=True
    )


def reader_table(data: pd.DataFrame) -> pd.DataFrame:
    """The figure's data as readers download it: no float noise. A float column whose values
    are all whole numbers is written as integers (``42000``, not ``42000.0``); fractions (every
    value within [-1, 1]: shares and rates, shown as percentages) keep 4 decimals (0.01
    percentage point); other floats 6 significant digits (``3053.6``, not
    ``3053.5999999999767``), more than any chart or sentence shows."""
    import numpy as np

    out = data.copy()
    for name in out.columns:
        col = out[name]
        if not pd.api.types.is_float_dtype(col):
            continue
        values = col.dropna()
        if values.empty:
            continue
        if np.all(np.isfinite(values)) and (values == values.round()).all():
            out[name] = col.round().astype("Int64")
        elif values.abs().max() <= 1:
            out[name] = col.round(4)
        else:
            digits = 6 - np.floor(np.log10(values.abs().replace(0, np.nan))).fillna(0) - 1
            rounded = [round(v, int(d)) for v, d in zip(values, digits)]
            out.loc[values.index, name] = rounded
    return out


def save_figure(
    fig,
    label: str,
    *,
    data: pd.DataFrame,
    source: str,
    display: bool = True,
    alt: str | None = None,
    columns: dict[str, tuple[str, str]] | None = None,
) -> None:
    """Write ``figures/<label>.{png,svg,csv}`` and show the figure in the notebook.

    ``label`` must match the cell's ``#| label:`` (``fig-…``). ``source`` is the line printed under
    the chart ("Source: UNHCR Refugee Population Statistics Database, 2025 release"). ``data`` is the table the chart is drawn from, written
    as CSV so readers can take the numbers. ``alt``: alt text computed from the data; it replaces
    the cell's ``#| fig-alt:`` (which stays as the text of a notebook not yet run) in both engines.
    ``columns``: each column of ``data`` with its (unit, description); by default the figure's
    declaration in :mod:`exile_report.figure_columns`; an undeclared figure is refused. The CSV
    gives the columns their plain names (``figure_columns.PLAIN_NAMES``) and gets
    ``figures/<label>.schema.json``, with which the data bundle lists it.
    """
    if not label.startswith("fig-"):
        raise ValueError(f"figure label must start with 'fig-': {label!r}")
    if not source.strip():
        raise ValueError(f"{label}: a figure needs a source line")
    if data is None or len(data) == 0:
        raise ValueError(f"{label}: a figure needs the data it is drawn from")
    if not source.lower().startswith("source"):
        source = f"Source: {source}"
    # The CSV readers download: plain column names, no float noise; its columns checked against
    # their declaration before anything is written.
    table = reader_table(_csv_frame(label, data))
    columns = _declared_columns(label, table, columns)
    FIGURES.mkdir(parents=True, exist_ok=True)
    files = {
        "png": FIGURES / f"{label}.png",
        "svg": FIGURES / f"{label}.svg",
        "csv": FIGURES / f"{label}.csv",
    }
    # One drawing pass: matplotlib writes the SVG (vector, for the PDF and the HTML page); the
    # PNG is rasterised from that SVG by typst's SVG renderer, in a fraction of the time a second
    # matplotlib draw would take, and matches the SVG exactly.
    engine = fig.get_layout_engine()
    if engine is not None:
        # Lay the figure out once and save it without a layout engine: savefig would otherwise
        # draw the whole figure an extra time, invisibly, only to run the layout.
        engine.execute(fig)
        fig.set_layout_engine(None)
    svg_buf = io.StringIO()
    fig.savefig(svg_buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = _stable_svg_ids(svg_buf.getvalue())
    files["svg"].write_text(svg, encoding="utf-8")
    png_bytes = svg_to_png(files["svg"], width_in=fig.get_size_inches()[0], dpi=DPI)
    files["png"].write_bytes(png_bytes)
    table.to_csv(files["csv"], index=False, lineterminator="\n")
    from .figure_columns import write_schema

    write_schema(files["csv"], table, columns)
    if display:
        import base64

        from IPython.display import display as ipy_display

        ipy_display(
            {
                "image/svg+xml": svg,
                "image/png": base64.b64encode(png_bytes).decode("ascii"),
                "text/plain": f"<Figure {label}>",
            },
            raw=True,
            metadata={"exile_report": {"label": label, **({"alt": alt} if alt else {})}},
        )
        # The source line and the download links: an ordinary Markdown output under the image,
        # which Quarto and the built-in engine both render (and Jupyter shows as it is).
        md = figure_meta_markdown(source, files)
        ipy_display({"text/markdown": md, "text/plain": md}, raw=True)
    plt.close(fig)
    # Returns nothing: a value would be shown as the cell's result in the notebook and the book.


def _csv_frame(label: str, data: pd.DataFrame) -> pd.DataFrame:
    from .figure_columns import plain_frame

    return plain_frame(label, data)


def _declared_columns(label: str, table: pd.DataFrame, columns) -> dict:
    """The figure's column declaration (``columns``, else its entry in
    :data:`exile_report.figure_columns.COLUMNS`), checked against its CSV's columns. A figure
    without one is refused: every figure CSV is downloaded, and in the data bundle, with its units
    and descriptions."""
    from . import figure_columns

    if list(table.columns) == ["note"]:  # an empty chart says why (a parameter selected nothing)
        return {"note": ("", "Why the figure is empty for the chosen parameters")}
    columns = columns if columns is not None else figure_columns.COLUMNS.get(label)
    if columns is None:
        raise ValueError(
            f"{label}: its CSV columns are not declared "
            "(add a unit and description per column to figure_columns.yml)"
        )
    figure_columns.check(label, table, columns)
    return columns


#: Link texts of the download links under a figure or table.
DOWNLOAD_NAMES = {"png": "PNG", "svg": "SVG", "csv": "Data (CSV)"}


def figure_meta_markdown(source: str | None, files: dict[str, Path]) -> str:
    """The Markdown under a figure or table: its source line and links to its files.

    Links are relative to the chapter notebooks' folder (``chapters/``), where a reader of the
    notebook and both engines resolve them; the downloads are for the HTML only.
    """
    lines = ["::: {.figure-meta}"]
    if source:
        lines.append(f"[{source}]{{.figure-source}}")
        lines.append("")
    links = " · ".join(
        f"[{DOWNLOAD_NAMES[k]}](../figures/{Path(v).name})" for k, v in files.items()
    )
    lines.append(f'[{links}]{{.figure-downloads .content-visible when-format="html"}}')
    lines.append(":::")
    return "\n".join(lines) + "\n"


def show_table(
    df: pd.DataFrame,
    label: str,
    *,
    source: str | None = None,
    floatfmt: str = ",.0f",
    display: bool = True,
) -> None:
    """Show a table as a Markdown pipe table (works in HTML and PDF) and write its CSV.

    ``label`` must match the cell's ``#| label:`` (``tbl-…``). Numbers are formatted with
    ``floatfmt``; missing values show as an en dash.
    """
    if not label.startswith("tbl-"):
        raise ValueError(f"table label must start with 'tbl-': {label!r}")
    FIGURES.mkdir(parents=True, exist_ok=True)
    csv_path = FIGURES / f"{label}.csv"
    reader_table(df).to_csv(csv_path, index=False, lineterminator="\n")
    md = markdown_table(df, floatfmt=floatfmt)
    if source and not source.lower().startswith("source"):
        source = f"Source: {source}"
    if display:
        from IPython.display import display as ipy_display

        ipy_display(
            {"text/markdown": md, "text/plain": md},
            raw=True,
            metadata={"exile_report": {"label": label}},
        )
        meta = figure_meta_markdown(source, {"csv": csv_path})
        ipy_display({"text/markdown": meta, "text/plain": meta}, raw=True)


def _fmt(value, floatfmt: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "–"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return format(value, floatfmt)
    return " ".join(str(value).split())


def markdown_table(df: pd.DataFrame, floatfmt: str = ",.0f") -> str:
    """A pandoc pipe table; numeric columns right-aligned.

    Column widths follow the content: pandoc sizes a wrapping pipe table by the number of dashes
    under each header, so a column of long text gets more room than a column of years.
    """
    cols = list(df.columns)
    numeric = [
        pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in cols
    ]
    # years and identifiers are written without a thousands separator
    plain = [any(w in str(c).lower() for w in ("year", "id", "code")) for c in cols]
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v, is_plain in zip(rec, plain):
            if hasattr(v, "item") and not isinstance(v, str):
                try:
                    v = v.item()
                except (ValueError, AttributeError):
                    pass
            if is_plain and isinstance(v, (int, float)) and not pd.isna(v) and v == int(v):
                v = str(int(v))
            cells.append(_fmt(v, floatfmt))
        rows.append(cells)
    widths = []
    for j, col in enumerate(cols):
        lengths = sorted(len(r[j]) for r in rows) or [0]
        typical = lengths[round(0.9 * (len(lengths) - 1))]  # 90th percentile: ignore outliers
        longest_word = max((len(w) for w in str(col).split()), default=3)
        widths.append(max(3, min(40, max(typical, longest_word))))
    # Cells are data, never markup: escaped for Markdown (a citation written by ``cite`` stays one).
    header = "| " + " | ".join(markdown_text(c) for c in cols) + " |"
    rule = (
        "|"
        + "|".join(
            ("-" * (w - 1) + ":") if n else (":" + "-" * (w - 1)) for w, n in zip(widths, numeric)
        )
        + "|"
    )
    body = ["| " + " | ".join(markdown_cell(c) for c in cells) + " |" for cells in rows]
    # (a table whose lines all fit in 72 characters keeps its natural widths in pandoc)
    return "\n".join([header, rule, *body])
