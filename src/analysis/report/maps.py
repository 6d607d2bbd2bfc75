"""World geometry for choropleths: Natural Earth countries from world-atlas 2.0.2, fixed for the report.

    from analysis import maps
    world = maps.projected()                 # iso3, name, geometry in Equal Earth, no Antarctica
    maps.draw_choropleth(ax, world.merge(values, on="iso3", how="left"), "vote", {"yes": "#1b9e77"})
    maps.missing_members()                   # UN members that cannot be drawn at all -> caption

Source: ``data/raw/world-atlas/countries-{50m,110m}.json`` (TopoJSON, read through GDAL). Each feature has
``id`` = ISO 3166-1 numeric code (zero-padded text) and ``name``; ids are mapped to ISO3 with
:func:`analysis.codes.numeric_to_iso3`. Features without an id keep ``iso3 = None`` except Kosovo, which
gets the user-assigned code ``"XKX"`` (used by the EU, IMF and World Bank; not an ISO 3166-1 code).
Features sharing an id are merged (at 50m, "Ashmore and Cartier Is." carries Australia's id 036).

Antimeridian
    world-atlas keeps Chukotka, Wrangel Island and part of Fiji (Vanua Levu at 110m) as *one* ring each
    that crosses the 180° meridian: the ring runs east to ~179.9°E, jumps to -180° and continues in the
    western hemisphere (two jumps per ring). Read as planar lon/lat, such a ring spans the whole globe:
    the polygon is invalid and a projection draws a band across the map. Antarctica's ring goes round
    the pole (one jump). :func:`fix_antimeridian` unwraps every ring with a jump (``numpy.unwrap``
    with period 360), closes a ring round the pole along the pole's latitude, then cuts the unwrapped
    polygon at ±180° and shifts the pieces back into [-180, 180]. Rings of one polygon part are
    combined by symmetric difference, which is the usual "exterior minus holes" and also handles the
    50m Antarctica, whose "exterior" is a degenerate ring along 89.999°S and whose coast is the "hole".
    The result is valid and the planar area in lon/lat is unchanged.

Crimea
    Natural Earth draws Crimea (with Sevastopol) as a separate polygon part of *Russia*. UN General
    Assembly resolution 68/262 (27 March 2014) affirms Ukraine's territorial integrity within its
    internationally recognised borders, so the report draws Crimea as Ukrainian.
    :func:`crimea_to_ukraine` moves the part of Russia's geometry inside :data:`CRIMEA_CUT` to Ukraine.
    The cut polygon is the lon/lat rectangle 32.3-36.6°E, 44.2-46.3°N, chosen from the data:

    * west 32.3°E: Cape Tarkhankut is at 32.45-32.51°E; south 44.2°N: Crimea's south coast reaches
      44.36°N (110m) / 44.39°N (50m); nothing of Russia's mainland lies west of 36.6°E.
    * north 46.3°N: the Crimea part of Russia's polygon ends at 46.22°N, where it meets Ukraine's
      polygon at the Perekop isthmus and the Syvash (only Russia's geometry is intersected, so
      covering Ukrainian land north of the isthmus is harmless).
    * east 36.6°E, the Kerch Strait: Crimea's easternmost vertex is 36.53°E (110m) / 36.575°E (50m);
      the westernmost vertex of Russia's Taman peninsula is 36.675°E (110m) / 36.618°E (50m), so
      the line keeps all of the Taman peninsula and the Krasnodar coast in Russia.

    As a guard, :func:`crimea_to_ukraine` raises if the rectangle cuts through any polygon part of
    Russia instead of taking whole parts.

Projection: Equal Earth (EPSG:8857, "WGS 84 / Equal Earth Greenwich"), an equal-area world projection,
so areas of countries compare correctly. Antarctica is dropped by default. Edges are densified to 1°
before projecting, so the straight lon/lat cuts along ±180° follow the curved edge of the map.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from analysis import config, files
from analysis.datasets import codes, data

GEOGRAPHIC = "EPSG:4326"
EQUAL_AREA = "EPSG:8857"  # WGS 84 / Equal Earth Greenwich
RESOLUTIONS = ("50m", "110m")
FINEST = "50m"

# Features without an ISO numeric id that still get a code (see module docstring).
_NO_ID_CODES = {"Kosovo": "XKX"}

# Lon/lat rectangle around the Crimean peninsula and Sevastopol (see module docstring for the choice).
CRIMEA_CUT_VERTICES = ((32.3, 44.2), (36.6, 44.2), (36.6, 46.3), (32.3, 46.3))
CRIMEA_CUT = Polygon(CRIMEA_CUT_VERTICES)

_DENSIFY_DEGREES = 1.0


# --------------------------------------------------------------------------------------------- reading
def world_path(resolution: str = "50m") -> Path:
    """The world-atlas TopoJSON file for a resolution ("50m" or "110m")."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}, not {resolution!r}")
    from analysis.datasets import reads

    path = config.raw_dir() / "world-atlas" / f"countries-{resolution}.json"
    reads.note(path)  # read through pyogrio (no Python open) and cached per process: count it here
    return path


@functools.lru_cache(maxsize=4)
def _read_raw(path: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path, layer="countries")
    numeric = codes.numeric_to_iso3()
    iso3 = [numeric.get(i) if isinstance(i, str) and i else _NO_ID_CODES.get(n)
            for i, n in zip(gdf["id"], gdf["name"])]
    return gpd.GeoDataFrame({"iso3": pd.array(iso3, dtype=object), "name": gdf["name"]},
                            geometry=gdf.geometry.values, crs=GEOGRAPHIC)


def raw_world(resolution: str = "50m") -> gpd.GeoDataFrame:
    """The features as read (iso3, name, geometry), without any fix: for tests and comparisons."""
    return _read_raw(str(world_path(resolution))).copy()


@functools.lru_cache(maxsize=8)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return files.sha256(Path(path))


def _source(resolution: str) -> tuple[str, str]:
    """(path, sha256) of the world file at ``resolution``: the memo key of what is made from it."""
    path = world_path(resolution)
    st = path.stat()
    return str(path), _digest(str(path), st.st_size, st.st_mtime_ns)


@data.memo  # ~0.15 s to fix, ~0.3 s to project: kept in the memo store, shared by the build's workers
def _world(path: str, digest: str) -> gpd.GeoDataFrame:
    gdf = fix_antimeridian(_read_raw(path))
    gdf["geometry"] = [_make_valid(g) for g in gdf.geometry]
    gdf = _merge_duplicates(gdf)
    return crimea_to_ukraine(gdf)


def world(resolution: str = "50m") -> gpd.GeoDataFrame:
    """Countries as iso3, name, geometry in EPSG:4326, antimeridian fixed and Crimea in Ukraine.

    One row per iso3 (iso3 is None for Somaliland, N. Cyprus, Indian Ocean Ter., Siachen Glacier).
    Cached per process; the caller gets a copy.
    """
    return _world(*_source(resolution)).copy()


def _merge_duplicates(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per iso3: union geometries sharing a code, keep the name of the largest feature."""
    has = gdf["iso3"].notna()
    dup = has & gdf["iso3"].duplicated(keep=False)
    if not dup.any():
        return gdf.reset_index(drop=True)
    rows = []
    for code, grp in gdf[dup].groupby("iso3", sort=False):
        largest = grp.index[np.argmax(shapely.area(grp.geometry.values))]
        rows.append({"iso3": code, "name": grp.at[largest, "name"],
                     "geometry": shapely.union_all(grp.geometry.values)})
    merged = gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs)
    return pd.concat([gdf[~dup], merged], ignore_index=True)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of a geometry (make_valid may add stray lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else Polygon()


def _make_valid(geom: BaseGeometry) -> BaseGeometry:
    # At 110m, Sudan and North Korea are slightly invalid (quantisation); repair without losing area.
    if geom is None or geom.is_valid:
        return geom
    return _polygonal(shapely.make_valid(geom))


# ---------------------------------------------------------------------------------------- antimeridian
def _parts(geom: BaseGeometry) -> list[Polygon]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type == "MultiPolygon":
        return list(geom.geoms)
    return [g for g in geom.geoms if g.geom_type == "Polygon"]


def _rings(poly: Polygon) -> list[np.ndarray]:
    return [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]


def _jumps(ring: np.ndarray) -> bool:
    """True if the ring jumps by more than 180° of longitude between two vertices.

    An edge along a pole (both ends at latitude ±90°, as in the closed Antarctica ring) is a point on
    the sphere, not a jump.
    """
    if len(ring) < 2:
        return False
    wide = np.abs(np.diff(ring[:, 0])) > 180
    at_pole = (np.abs(ring[:-1, 1]) >= 90) & (np.abs(ring[1:, 1]) >= 90)
    return bool(np.any(wide & ~at_pole))


def crosses_antimeridian(geom: BaseGeometry) -> bool:
    """True if any ring of the geometry jumps by more than 180° of longitude between two vertices."""
    return any(_jumps(r) for p in _parts(geom) for r in _rings(p))


def _wrap_into_range(poly: BaseGeometry) -> BaseGeometry:
    """Cut an unwrapped lon/lat polygon at ±180° and shift the pieces into [-180, 180]."""
    pieces = []
    for k in (-1, 0, 1):
        piece = poly.intersection(box(-180 + 360 * k, -90, 180 + 360 * k, 90))
        if not piece.is_empty:
            pieces.append(shapely.affinity.translate(_polygonal(piece), xoff=-360 * k))
    return shapely.union_all(pieces) if pieces else Polygon()


def _ring_to_polygon(ring: np.ndarray) -> BaseGeometry:
    """One ring as a planar polygon in [-180, 180], unwrapped across the antimeridian if needed."""
    if not _jumps(ring):
        return _make_valid(Polygon(ring))
    x = np.unwrap(ring[:, 0], period=360)
    coords = np.column_stack([x, ring[:, 1]])
    if abs(x[-1] - x[0]) > 180:  # the ring goes round a pole: close it along the pole's latitude
        pole = -90.0 if ring[:, 1].mean() < 0 else 90.0
        coords = np.vstack([coords, [[x[-1], pole], [x[0], pole]], coords[:1]])
    return _wrap_into_range(_make_valid(Polygon(coords)))


def _fix_geometry(geom: BaseGeometry) -> BaseGeometry:
    if not crosses_antimeridian(geom):
        return geom
    out = []
    for poly in _parts(geom):
        rings = _rings(poly)
        if not any(_jumps(r) for r in rings):
            out.append(poly)
            continue
        # exterior minus holes; symmetric difference also copes with a hole that contains the "exterior"
        part = _ring_to_polygon(rings[0])
        for ring in rings[1:]:
            part = part.symmetric_difference(_ring_to_polygon(ring))
        out.append(_polygonal(part))
    return _polygonal(shapely.union_all(out))


def fix_antimeridian(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Split rings that cross the 180° meridian so every polygon lies within [-180, 180] (lon/lat).

    Geometries that do not cross are returned unchanged. Returns a new frame.
    """
    out = gdf.copy()
    out["geometry"] = [_fix_geometry(g) for g in gdf.geometry]
    return out


# ---------------------------------------------------------------------------------------------- Crimea
def crimea_to_ukraine(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Move the part of Russia's geometry inside :data:`CRIMEA_CUT` (Crimea, Sevastopol) to Ukraine.

    Expects lon/lat (EPSG:4326) with valid geometries and rows RUS and UKR. Idempotent: if Russia has
    nothing inside the cut polygon, the frame is returned unchanged (as a copy).
    """
    if gdf.crs is not None and not gdf.crs.equals(GEOGRAPHIC):
        raise ValueError("crimea_to_ukraine needs lon/lat geometry (EPSG:4326)")
    out = gdf.copy()
    rus_idx = out.index[out["iso3"] == "RUS"]
    ukr_idx = out.index[out["iso3"] == "UKR"]
    if len(rus_idx) != 1 or len(ukr_idx) != 1:
        raise ValueError("expected exactly one RUS and one UKR row")
    rus = out.at[rus_idx[0], "geometry"]
    ukr = out.at[ukr_idx[0], "geometry"]
    for part in _parts(rus):
        if part.intersects(CRIMEA_CUT) and not CRIMEA_CUT.covers(part):
            raise ValueError(f"the Crimea cut polygon crosses a polygon part of Russia {part.bounds}; "
                             "revisit CRIMEA_CUT_VERTICES")
    crimea = _polygonal(rus.intersection(CRIMEA_CUT))
    if crimea.is_empty:
        return out
    out.at[rus_idx[0], "geometry"] = _polygonal(rus.difference(CRIMEA_CUT))
    out.at[ukr_idx[0], "geometry"] = _polygonal(shapely.union_all([ukr, crimea]))
    return out


# ------------------------------------------------------------------------------------------ projection
def project(gdf: gpd.GeoDataFrame, crs: str = EQUAL_AREA) -> gpd.GeoDataFrame:
    """Densify edges to 1° in lon/lat, then project (default Equal Earth)."""
    if gdf.crs is None or not gdf.crs.equals(GEOGRAPHIC):
        gdf = gdf.to_crs(GEOGRAPHIC)
    out = gdf.copy()
    out["geometry"] = shapely.segmentize(out.geometry.values, _DENSIFY_DEGREES)
    return out.to_crs(crs)


@data.memo
def _projected(path: str, digest: str, drop_antarctica: bool) -> gpd.GeoDataFrame:
    gdf = _world(path, digest)
    if drop_antarctica:
        gdf = gdf[gdf["iso3"] != "ATA"]
    return project(gdf.reset_index(drop=True))


def projected(resolution: str = "50m", drop_antarctica: bool = True) -> gpd.GeoDataFrame:
    """:func:`world` in Equal Earth (EPSG:8857), without Antarctica by default. Cached; returns a copy."""
    return _projected(*_source(resolution), drop_antarctica).copy()


# ----------------------------------------------------------------------------------- small countries
def _un_members() -> list[str]:
    from analysis.datasets import data  # local import: the curated tables are only needed here

    return sorted(data.countries()["iso3"])


def missing_members(resolution: str = "50m") -> list[str]:
    """UN members (data/curated/countries.csv) that can be drawn neither as a polygon at `resolution`
    nor as a point from the finest resolution: for a "not shown: ..." caption. At 50m: ['TUV']."""
    drawable = set(world(resolution)["iso3"].dropna()) | set(world(FINEST)["iso3"].dropna())
    return [c for c in _un_members() if c not in drawable]


def points_for_missing(iso3_list: Iterable[str], resolution: str = "50m",
                       crs: str | None = None) -> gpd.GeoDataFrame:
    """Marker points for the codes in `iso3_list` that have no polygon at `resolution`.

    The point is a representative point (inside the polygon) of the largest polygon part of the
    country in the finest data (50m), so coordinates come only from the data file. Codes absent from
    the 50m data as well are left out (see :func:`missing_members`). Returns iso3, name, geometry in
    EPSG:4326, or in `crs` if given.
    """
    have = set(world(resolution)["iso3"].dropna())
    wanted = [c for c in dict.fromkeys(iso3_list) if c not in have]
    fine = world(FINEST).set_index("iso3", drop=False)
    rows = []
    for code in wanted:
        if code in fine.index:
            geom = fine.at[code, "geometry"]
            largest = max(_parts(geom), key=lambda p: p.area)
            rows.append({"iso3": code, "name": fine.at[code, "name"], "geometry": largest.representative_point()})
    out = gpd.GeoDataFrame(rows, columns=["iso3", "name", "geometry"], geometry="geometry", crs=GEOGRAPHIC)
    return out.to_crs(crs) if crs is not None else out


# ------------------------------------------------------------------------------------------- drawing
def draw_choropleth(ax, gdf: gpd.GeoDataFrame, column: str, colors: Mapping[object, str],
                    missing_color: str = "#dddddd", edgecolor: str = "white", linewidth: float = 0.2,
                    markersize: float = 6):
    """Fill each country by the categorical value in `column`, using the `colors` mapping.

    Rows whose value is missing (NaN/None) get `missing_color`; a value that is not in `colors`
    raises KeyError (a silent grey would hide a mistake). Point rows (from :func:`points_for_missing`)
    are drawn as markers of `markersize`. Turns the axis off and sets an equal aspect. Returns `ax`.
    """
    values = gdf[column]
    unknown = sorted({str(v) for v in values.dropna().unique() if v not in colors})
    if unknown:
        raise KeyError(f"no colour for value(s) {unknown} in column {column!r}")
    fill = [missing_color if pd.isna(v) else colors[v] for v in values]
    if len(gdf):
        # rasterised inside the SVG: thousands of coastline vertices would make it megabytes;
        # titles, legends and labels stay vector text
        gdf.plot(ax=ax, color=fill, edgecolor=edgecolor, linewidth=linewidth, markersize=markersize,
                 rasterized=True)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax


def label_states(ax, gdf: gpd.GeoDataFrame, texts: Mapping[str, str], fontsize: float = 7,
                 color: str = "#111111", offsets: Mapping[str, tuple[float, float]] | None = None,
                 min_gap: float | None = None) -> list[str]:
    """Write ``texts[iso3]`` on each named state (at a point inside it), with a white halo so it
    reads over any fill. ``offsets`` (points, per iso3) move a label off a small state, with a
    leader line. ``min_gap`` (map units): a label closer than that to one already written is left
    out (a label is wider than tall: the gap counts 1.6x across, 0.5x up; ``texts`` in priority order). Returns the codes labelled."""
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=2.2, foreground="white")]
    rows = {r.iso3: r for r in gdf[gdf["iso3"].isin(list(texts))].itertuples()}
    placed: list = []
    for iso3 in texts:
        r = rows.get(iso3)
        if r is None or r.geometry is None or r.geometry.is_empty:
            continue
        p = r.geometry.representative_point() if r.geometry.geom_type != "Point" else r.geometry
        if min_gap and any(abs(p.x - q.x) < 1.6 * min_gap and abs(p.y - q.y) < 0.5 * min_gap for q in placed):
            continue
        placed.append(p)
        dx, dy = (offsets or {}).get(r.iso3, (0, 0))
        ax.annotate(texts[r.iso3], (p.x, p.y), xytext=(dx, dy), textcoords="offset points", ha="center",
                    va="center", fontsize=fontsize, color=color, path_effects=halo, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.5} if (dx or dy) else None)
    return [i for i in texts if i in rows]
