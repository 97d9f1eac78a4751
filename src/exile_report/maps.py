"""Map projection and geometry shared by the chapters' maps (matplotlib polygons, no GIS stack)."""

from __future__ import annotations

import math

import numpy as np


def equal_earth(lon, lat):
    """Equal Earth projection (Šavrič, Patterson & Jenny 2018): an equal-area world projection,
    so the area of a country on the map stays proportional to its area on the ground."""
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    m = math.sqrt(3) / 2
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    theta = np.arcsin(m * np.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = (
        2
        * math.sqrt(3)
        * lam
        * np.cos(theta)
        / (3 * (9 * a4 * t6 * t2 + 7 * a3 * t6 + 3 * a2 * t2 + a1))
    )
    y = theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))
    return x, y


def country_rings(geo: dict) -> dict[str, list[np.ndarray]]:
    """ISO3 -> list of outer rings (lon, lat arrays of shape (n, 2)) from a GeoJSON collection."""
    out: dict[str, list[np.ndarray]] = {}
    for feat in geo["features"]:
        iso = feat["properties"]["iso3"]
        g = feat["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        out.setdefault(iso, []).extend(np.asarray(p[0], dtype=float) for p in polys)
    return out
