"""Tests for analysis.maps: antimeridian, Crimea, projection, small states, drawing.

Reads the real world-atlas TopoJSON (data/raw/world-atlas); world() and projected() are cached per
process, so the whole file runs in a few seconds.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from pyproj import Geod, Transformer  # noqa: E402
from shapely.geometry import Point, Polygon, box  # noqa: E402
from shapely.geometry.polygon import orient  # noqa: E402

from analysis.report import maps  # noqa: E402

RESOLUTIONS = ["50m", "110m"]

SIMFEROPOL = Point(34.10, 44.95)
SEVASTOPOL = Point(33.52, 44.60)
NOVOROSSIYSK = Point(37.77, 44.72)
TAMAN_PENINSULA = Point(36.80, 45.20)  # just east of the Kerch Strait, on land at both resolutions
KRASNODAR = Point(38.98, 45.04)


def _geom(gdf: gpd.GeoDataFrame, iso3: str):
    rows = gdf[gdf["iso3"] == iso3]
    assert len(rows) == 1, f"{iso3}: {len(rows)} rows"
    return rows.geometry.iloc[0]


def _parts(geom) -> list[Polygon]:
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]


def _geodesic_area_m2(geom) -> float:
    geod = Geod(ellps="WGS84")
    return sum(abs(geod.geometry_area_perimeter(orient(p, 1.0))[0]) for p in _parts(geom))


def _shift_west_to_east(geom):
    """Longitudes < 0 + 360: makes Russia and Fiji continuous across 180° without cutting them."""
    return shapely.transform(geom, lambda xy: np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]),
                                                               xy[:, 1]]))


def _fixed_before_crimea(resolution: str) -> gpd.GeoDataFrame:
    gdf = maps.fix_antimeridian(maps.raw_world(resolution))
    gdf["geometry"] = [maps._make_valid(g) for g in gdf.geometry]
    return maps._merge_duplicates(gdf)


# ------------------------------------------------------------------------------------------- world()
@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_world_columns_crs_codes(resolution):
    w = maps.world(resolution)
    assert list(w.columns) == ["iso3", "name", "geometry"]
    assert w.crs.to_epsg() == 4326
    codes = w["iso3"].dropna()
    assert not codes.duplicated().any(), codes[codes.duplicated()].tolist()
    assert {"RUS", "UKR", "FJI", "USA", "AUS", "ATA"} <= set(codes)
    assert _geom(w, "RUS").geom_type == "MultiPolygon"
    assert w.is_valid.all(), w.loc[~w.is_valid, "name"].tolist()
    assert set(w.geom_type) <= {"Polygon", "MultiPolygon"}
    minx, miny, maxx, maxy = w.total_bounds
    assert -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    assert w.loc[w["name"] == "Kosovo", "iso3"].tolist() == ["XKX"]
    assert w.loc[w["name"] == "Somaliland", "iso3"].isna().all()


def test_world_merges_features_sharing_an_id():
    # At 50m "Ashmore and Cartier Is." carries Australia's numeric id 036.
    raw = maps.raw_world("50m")
    assert (raw["iso3"] == "AUS").sum() == 2
    w = maps.world("50m")
    assert w.loc[w["iso3"] == "AUS", "name"].tolist() == ["Australia"]
    parts = shapely.area(raw.loc[raw["iso3"] == "AUS"].geometry.values)
    assert len(parts) == 2 and _geom(w, "AUS").area == pytest.approx(parts.sum(), rel=1e-9)


def test_world_returns_a_copy():
    w = maps.world("110m")
    w.loc[w["iso3"] == "RUS", "name"] = "changed"
    w["geometry"] = None
    again = maps.world("110m")
    assert again.loc[again["iso3"] == "RUS", "name"].tolist() == ["Russia"]
    assert again.geometry.notna().all()


def test_unknown_resolution():
    with pytest.raises(ValueError):
        maps.world("10m")


# ------------------------------------------------------------------------------------- antimeridian
def test_fix_antimeridian_splits_a_crossing_square():
    square = Polygon([(170, -10), (-170, -10), (-170, 10), (170, 10)])  # 20° wide across 180°
    gdf = gpd.GeoDataFrame({"iso3": ["X"]}, geometry=[square], crs=maps.GEOGRAPHIC)
    assert maps.crosses_antimeridian(square)
    fixed = maps.fix_antimeridian(gdf).geometry.iloc[0]
    assert fixed.is_valid and not maps.crosses_antimeridian(fixed)
    assert fixed.area == pytest.approx(400)
    assert sorted(np.round(p.bounds, 9).tolist() for p in _parts(fixed)) == [
        [-180, -10, -170, 10], [170, -10, 180, 10]]


def test_fix_antimeridian_closes_a_ring_round_the_pole():
    ring = Polygon([(-170, -80), (-90, -75), (0, -80), (90, -75), (170, -80)])  # last edge jumps 170 -> -170
    gdf = gpd.GeoDataFrame({"iso3": ["X"]}, geometry=[ring], crs=maps.GEOGRAPHIC)
    fixed = maps.fix_antimeridian(gdf).geometry.iloc[0]
    assert fixed.is_valid and not maps.crosses_antimeridian(fixed)
    assert np.allclose(fixed.bounds, (-180, -90, 180, -75))
    assert fixed.contains(Point(0, -85)) and fixed.contains(Point(179.9, -85)) and not fixed.contains(Point(0, -70))


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_raw_data_crosses_and_fixed_data_does_not(resolution):
    raw = maps.raw_world(resolution)
    for code in ("RUS", "FJI"):
        assert maps.crosses_antimeridian(_geom(raw, code)), f"{code} no longer crosses: test is moot"
    w = maps.world(resolution)
    assert not any(maps.crosses_antimeridian(g) for g in w.geometry)


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_no_band_across_the_projected_map(resolution):
    p = maps.projected(resolution)
    (left, right), _ = Transformer.from_crs(maps.GEOGRAPHIC, maps.EQUAL_AREA, always_xy=True).transform([-180, 180],
                                                                                                      [0, 0])
    half_map = (right - left) / 2
    for code, geom in zip(p["iso3"], p.geometry):
        for part in _parts(geom):
            width = part.bounds[2] - part.bounds[0]
            assert width < half_map, f"{code}: a polygon part is {width / 1e3:.0f} km wide"
    w = maps.world(resolution)
    for code in ("RUS", "FJI"):  # both are cut at 180°, not shifted: they reach both edges of the map
        minx, _, maxx, _ = _geom(w, code).bounds
        assert minx == -180 and maxx == 180


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("code", ["RUS", "FJI", "USA", "NZL"])
def test_antimeridian_fix_keeps_area(resolution, code):
    # Reference: the raw geometry made continuous (lon < 0 shifted by +360), measured on the ellipsoid.
    reference = _geodesic_area_m2(_shift_west_to_east(_geom(maps.raw_world(resolution), code)))
    fixed = _fixed_before_crimea(resolution)
    projected_area = maps.project(fixed[fixed["iso3"] == code]).area.iloc[0]
    assert projected_area == pytest.approx(reference, rel=0.005)


# ---------------------------------------------------------------------------------------------- Crimea
@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_crimea_is_drawn_in_ukraine(resolution):
    before = _fixed_before_crimea(resolution)
    assert _geom(before, "RUS").contains(SIMFEROPOL), "source data changed: Crimea no longer in Russia"
    assert _geom(before, "UKR").bounds[1] > 45.0
    w = maps.world(resolution)
    rus, ukr = _geom(w, "RUS"), _geom(w, "UKR")
    assert ukr.bounds[1] < 44.6
    for city in (SIMFEROPOL, SEVASTOPOL):
        assert ukr.contains(city) and not rus.contains(city)
    for place in (NOVOROSSIYSK, TAMAN_PENINSULA, KRASNODAR):
        assert rus.contains(place) and not ukr.contains(place)
    # Nothing of Russia is left west of the Kerch Strait, and nothing east of it changed.
    assert rus.intersection(box(30.0, 44.0, 36.6, 47.0)).is_empty
    east = box(36.6, 43.0, 40.0, 47.5)
    assert rus.intersection(east).area == pytest.approx(_geom(before, "RUS").intersection(east).area, rel=1e-9)


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_crimea_move_keeps_total_area(resolution):
    before = maps.project(_fixed_before_crimea(resolution)).set_index("iso3").area
    after = maps.projected(resolution).set_index("iso3").area
    assert after["RUS"] + after["UKR"] == pytest.approx(before["RUS"] + before["UKR"], rel=0.001)
    moved = after["UKR"] - before["UKR"]
    assert 2.2e10 < moved < 3.2e10  # Crimea is about 27,000 km²
    assert before["RUS"] - after["RUS"] == pytest.approx(moved, rel=0.01)
    others = after.index.difference(["RUS", "UKR"]).dropna()
    assert np.allclose(after[others], before[others])


def test_crimea_to_ukraine_is_idempotent():
    w = maps.world("110m")
    again = maps.crimea_to_ukraine(w)
    for code in ("RUS", "UKR"):
        assert _geom(again, code).equals(_geom(w, code))


def test_crimea_cut_refuses_to_split_a_russian_polygon():
    gdf = gpd.GeoDataFrame({"iso3": ["RUS", "UKR"], "name": ["Russia", "Ukraine"]},
                           geometry=[box(36.0, 44.5, 38.0, 45.5), box(30.0, 46.5, 36.0, 50.0)], crs=maps.GEOGRAPHIC)
    with pytest.raises(ValueError, match="CRIMEA_CUT"):
        maps.crimea_to_ukraine(gdf)


# ------------------------------------------------------------------------------------------ projection
def test_projected_crs_and_antarctica():
    p = maps.projected("110m")
    assert p.crs.to_epsg() == 8857 and maps.EQUAL_AREA == "EPSG:8857"
    assert "ATA" not in set(p["iso3"])
    assert p.total_bounds[1] > -7.0e6  # nothing south of ~60°S left
    with_ata = maps.projected("110m", drop_antarctica=False)
    assert "ATA" in set(with_ata["iso3"]) and len(with_ata) == len(p) + 1
    assert 1.1e13 < _geom(with_ata, "ATA").area < 1.45e13  # Natural Earth's Antarctica: ~12.3 million km²


# ------------------------------------------------------------------------------------- small members
@pytest.mark.realdata
def test_missing_members_at_50m():
    from analysis.datasets import data

    members = set(data.countries()["iso3"])
    missing = maps.missing_members("50m")
    drawn = set(maps.world("50m")["iso3"].dropna())
    assert set(missing) == members - drawn
    assert missing == ["TUV"]  # Tuvalu has no polygon in world-atlas 2.0.2, not even at 50m
    assert maps.missing_members("110m") == missing


@pytest.mark.realdata
def test_points_for_missing_at_110m():
    from analysis.datasets import data

    members = list(data.countries()["iso3"])
    absent_110 = set(members) - set(maps.world("110m")["iso3"].dropna())
    assert {"MLT", "SGP", "BHR", "KIR"} <= absent_110  # small states missing at 110m
    pts = maps.points_for_missing(members, "110m")
    assert list(pts.columns) == ["iso3", "name", "geometry"] and pts.crs.to_epsg() == 4326
    assert set(pts["iso3"]) == absent_110 - set(maps.missing_members("110m"))
    assert (pts.geom_type == "Point").all()
    fine = maps.world("50m").set_index("iso3").geometry
    for code, point in zip(pts["iso3"], pts.geometry):
        assert fine[code].contains(point), code
    assert maps.points_for_missing(["RUS", "UKR"], "110m").empty
    assert maps.points_for_missing(["MLT"], "110m", crs=maps.EQUAL_AREA).crs.to_epsg() == 8857


# --------------------------------------------------------------------------------------------- drawing
def test_draw_choropleth_colours():
    w = maps.projected("110m")
    w["value"] = None
    w.loc[w["iso3"] == "RUS", "value"] = "against"
    w.loc[w["iso3"] == "UKR", "value"] = "for"
    colors = {"for": "#1b9e77", "against": "#d95f02"}
    fig, ax = plt.subplots()
    try:
        assert maps.draw_choropleth(ax, w, "value", colors, missing_color="#cccccc") is ax
        faces = {tuple(c) for c in ax.collections[0].get_facecolor()}
        assert faces == {to_rgba("#1b9e77"), to_rgba("#d95f02"), to_rgba("#cccccc")}
        assert not ax.axison and ax.get_aspect() == 1.0
    finally:
        plt.close(fig)


def test_draw_choropleth_rejects_unmapped_values():
    w = maps.projected("110m").head(3).assign(value=["a", "b", None])
    fig, ax = plt.subplots()
    try:
        with pytest.raises(KeyError, match="'b'"):
            maps.draw_choropleth(ax, w, "value", {"a": "#000000"})
    finally:
        plt.close(fig)


def test_the_geometry_is_kept_in_the_memo_store_under_the_files_digest(tmp_path, monkeypatch):
    """Made once per data date and shared by the build's processes; a changed world file is a new key."""
    import shutil

    from analysis.datasets import data, memostore

    copy = tmp_path / "countries-110m.json"
    shutil.copy(maps.world_path("110m"), copy)
    monkeypatch.setattr(maps, "world_path", lambda resolution="50m": copy)
    monkeypatch.setenv("ISOLATION_MEMO_DIR", str(tmp_path / "memo"))
    written: list = []
    real = memostore.put
    monkeypatch.setattr(memostore, "put", lambda entry, value: written.append(entry) or real(entry, value))
    data.clear_cache()
    try:
        first = maps.projected("110m")
        assert len(written) == 2  # the fixed world and its projection
        data.clear_cache()  # a new process: nothing in memory
        again = maps.projected("110m")
        assert len(written) == 2 and again.geometry.geom_equals(first.geometry).all()  # read, not made again
        with open(copy, "a", encoding="utf-8") as fh:
            fh.write("\n")  # the same features, other bytes
        data.clear_cache()
        maps.projected("110m")
        assert len(written) == 4
    finally:
        data.clear_cache()
