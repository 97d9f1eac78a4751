"""Natural Earth 1:110m Admin-0 countries, reduced for the report's maps.

ISO3 is ``ISO_A3`` except where that is ``-99`` (France, Norway and three unrecognised
states), where ``ADM0_A3`` is used, as PROVENANCE.md advises; ``ADM0_A3`` is *not* used
elsewhere because it differs from ISO for Palestine, Western Sahara and South Sudan.
Coordinates are rounded to 2 decimals (about 1 km), ample at 1:110m, to keep the file small.
Crimea is inside the Russia polygon in this layer (see the register's caveats)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from exile_report.data import DataError
from exile_report.processing._common import save as _save
from exile_report.processing._common import write_text

SOURCE_ID = "natural-earth-110m-countries"
FILE = "ne_110m_admin_0_countries.json"
GEOJSON_NAME = "countries_110m.geojson"
DECIMALS = 2


def load(raw_dir: Path) -> dict:
    """Read the GeoJSON FeatureCollection."""
    path = Path(raw_dir) / SOURCE_ID / FILE
    if not path.is_file():
        raise DataError(f"{path}: raw file missing")
    return {"geojson": json.loads(path.read_text(encoding="utf-8"))}


def iso3_of(props: dict) -> tuple[str, str]:
    """(ISO3, which attribute it came from)."""
    if props["ISO_A3"] != "-99":
        return props["ISO_A3"], "ISO_A3"
    if props["ADM0_A3"] in ("", "-99"):
        raise DataError(f"{FILE}: feature {props.get('ADMIN')!r}: no ISO_A3 nor ADM0_A3")
    return props["ADM0_A3"], "ADM0_A3"


def _round_ring(ring: list) -> list:
    """Round a linear ring, dropping consecutive duplicate points made by rounding."""
    out: list = []
    for x, y in ring:
        pt = [round(x, DECIMALS) + 0.0, round(y, DECIMALS) + 0.0]  # + 0.0 turns -0.0 into 0.0
        if not out or pt != out[-1]:
            out.append(pt)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def _round_polygon(rings: list) -> list:
    """Round a polygon; rings that collapse below 4 points are dropped (holes only)."""
    rounded = [_round_ring(r) for r in rings]
    return [r for i, r in enumerate(rounded) if i == 0 or len(r) >= 4]


def _geometry(geom: dict) -> dict:
    if geom["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": _round_polygon(geom["coordinates"])}
    if geom["type"] == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [_round_polygon(p) for p in geom["coordinates"]],
        }
    raise DataError(f"{FILE}: unexpected geometry type {geom['type']!r}")


def process(frames: dict) -> dict:
    """A reduced FeatureCollection and a CSV of the attributes."""
    features, rows = [], []
    for feat in frames["geojson"]["features"]:
        p = feat["properties"]
        iso3, origin = iso3_of(p)
        features.append(
            {
                "type": "Feature",
                "properties": {"iso3": iso3, "name": p["NAME"], "continent": p["CONTINENT"]},
                "geometry": _geometry(feat["geometry"]),
            }
        )
        rows.append(
            {
                "iso3": iso3,
                "name": p["NAME"],
                "name_long": p["NAME_LONG"],
                "continent": p["CONTINENT"],
                "region_un": p["REGION_UN"],
                "subregion": p["SUBREGION"],
                "iso3_from": origin,
            }
        )
    features.sort(key=lambda f: f["properties"]["iso3"])
    return {
        "countries_110m": pd.DataFrame(rows),
        GEOJSON_NAME: {"type": "FeatureCollection", "features": features},
    }


def save(tables: dict, out_dir: Path) -> list[Path]:
    """Write the CSV and the GeoJSON (one feature per line, keys in fixed order)."""
    fc = tables[GEOJSON_NAME]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in fc["features"]]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    paths = [write_text(Path(out_dir) / GEOJSON_NAME, text)]
    csvs = {n: t for n, t in tables.items() if n != GEOJSON_NAME}
    return paths + _save(csvs, out_dir)
