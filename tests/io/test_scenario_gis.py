"""Scenario keys fed by GIS layers: ``source = {...}``, ``[[lamp_registers]]``,
``[[pole_rows]]`` (io/scenario_gis.py). Layers are written with pyogrio into tmp_path; the
real BGT road polygons of Delft come from ../shared/data/city."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pytest

from cpted_sim.errors import CptedWarning, ScenarioFileError

pyogrio = pytest.importorskip("pyogrio")
shapely = pytest.importorskip("shapely")
pyproj = pytest.importorskip("pyproj")

from cpted_sim.io.scenario_file import loads_scenario  # noqa: E402

HEAD = textwrap.dedent("""\
    name = "gis"
    [scene]
    builtin = "ground_plane"
    epsg = 28992
""")
X0, Y0 = 85000.0, 447500.0


def _write(path, geoms, crs="EPSG:28992", layer=None, **fields):
    from pyogrio.raw import write

    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        write(str(path), wkb, geometry_type=geoms[0].geom_type,
              field_data=[np.asarray(v) for v in fields.values()], fields=list(fields),
              crs=crs, layer=layer)
    return path


def _load(text, tmp_path):
    # the layers are read from ../shared, outside the scenario's folder: allowed on purpose
    return loads_scenario(HEAD + textwrap.dedent(text), path=tmp_path / "s.toml",
                          load_assets=False, allow_outside_files=True)


@pytest.fixture
def lamps(tmp_path):
    pts = [shapely.Point(X0 + 20 * i, Y0 + 8.0) for i in range(4)]
    return _write(tmp_path / "lamps.gpkg", pts, layer="masten",
                  nummer=np.array(["M1", "M2", "M3", "M4"], dtype=object),
                  hoogte=np.array([6.0, 8.0, np.nan, 6.0]),
                  armatuur=np.array(["LED-A", "LED-B", "LED-A", "LED-A"], dtype=object),
                  richting=np.array([0.0, 90.0, 180.0, 270.0]))


@pytest.fixture
def axis_wgs84(tmp_path):
    tr = pyproj.Transformer.from_crs(28992, 4326, always_xy=True)
    xs = np.array([X0 - 10, X0 + 100])
    ln = shapely.LineString(np.column_stack(tr.transform(xs, [Y0, Y0])))
    return _write(tmp_path / "axis.geojson", [ln], "EPSG:4326", naam=np.array(["Straat"],
                                                                              dtype=object))


def test_areas_from_bgt_footpaths(shared_data, tmp_path):
    bgt = shared_data / "city/delft_3dfier/bgt_wegdeel.geojson"
    with pytest.warns(CptedWarning, match=r"holes in 78 polygons"):
        sc = _load(f"""
            [[areas]]
            name = "footpath"
            kind = "grid"
            spacing = 2.0
            source = {{ file = "{bgt.as_posix()}", filter = {{ function = "voetpad" }}, name_field = "lokaalid" }}
            """, tmp_path)
    assert len(sc.areas) == 78  # README: 78 'voetpad'
    assert all(a.name.startswith("footpath:") and a.spacing == 2.0 for a in sc.areas)
    xy = np.vstack([a.polygon for a in sc.areas])
    assert 84760 <= xy[:, 0].min() and xy[:, 0].max() <= 85074


def test_route_and_observer_path_from_a_wgs84_line(axis_wgs84, tmp_path):
    sc = _load("""
        [[areas]]
        name = "walk"
        kind = "route"
        source = { file = "axis.geojson", name_field = "naam" }

        [[observers]]
        name = "walkers"
        kind = "path"
        source = { file = "axis.geojson" }
        """, tmp_path)
    (route,) = sc.areas
    assert route.name == "walk:Straat"
    assert np.allclose(route.path, [[X0 - 10, Y0], [X0 + 100, Y0]], atol=0.01)  # measured 0.44 mm
    assert sc.observers[0].name == "walkers"
    assert np.allclose(sc.observers[0].path, route.path)


def test_observer_points_and_luminaires_from_a_point_layer(lamps, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)  # poles stand on the surface, silently
        sc = _load("""
            [[observers]]
            name = "posts"
            kind = "person"
            height = 1.5
            source = { file = "lamps.gpkg", layer = "masten" }

            [[luminaires]]
            name = "L"
            photometry = { builtin = "isotropic", intensity_cd = 100.0 }
            height = 5.0
            source = { file = "lamps.gpkg", name_field = "nummer" }
            """, tmp_path)
    assert np.allclose(np.array(sc.observers[0].points)[:, 2], 0.0)
    assert sc.observers[0].height == 1.5
    with pytest.warns(CptedWarning, match=r"the 4 points of 'masten' have no z; eyes placed "
                      "1.6 m above z = 0"):
        sc2 = _load("""
            [[observers]]
            name = "posts"
            kind = "person"
            source = { file = "lamps.gpkg" }
            """, tmp_path)
    assert sc2.observers[0].height == 1.6
    assert [lu.name for lu in sc.luminaires] == ["L:M1", "L:M2", "L:M3", "L:M4"]
    # a layer without z: z is the mounting height above the walkable surface under each pole
    assert np.allclose([lu.position[2] for lu in sc.luminaires], 5.0)
    assert {lu.height_reference for lu in sc.luminaires} == {"surface"}


def test_point_luminaires_at_absolute_heights_without_z_warn(lamps, tmp_path):
    with pytest.warns(CptedWarning, match=r"4 luminaires placed with their feet at z = 0 "
                      r"\(height_reference = \"absolute\" and no foot_z\)"):
        sc = _load("""
            [[luminaires]]
            name = "L"
            photometry = { builtin = "isotropic", intensity_cd = 100.0 }
            height = 5.0
            height_reference = "absolute"
            source = { file = "lamps.gpkg" }
            """, tmp_path)
    assert np.allclose([lu.position[2] for lu in sc.luminaires], 5.0)
    assert {lu.height_reference for lu in sc.luminaires} == {"absolute"}
    with pytest.raises(ScenarioFileError, match=r"give either foot_z or height_reference = "
                       r"'surface', not both"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height = 5.0
            foot_z = 0.1
            height_reference = "surface"
            photometry = { builtin = "isotropic" }
            """, tmp_path)


def test_lamp_register_with_fittings_heights_and_orientation(lamps, tmp_path):
    sc = _load("""
        [[lamp_registers]]
        name = "mast"
        source = { file = "lamps.gpkg", name_field = "nummer" }
        height_field = "hoogte"
        height = 5.0
        fitting_field = "armatuur"
        orientation_field = "richting"
        foot_z = 0.2
        maintenance_factor = 0.9

        [lamp_registers.fittings]
        "LED-A" = { builtin = "isotropic", intensity_cd = 100.0 }
        "LED-B" = { builtin = "street_light_optic", flux = 8000.0 }
        """, tmp_path)
    lums = {lu.name: lu for lu in sc.luminaires}
    assert sorted(lums) == ["mast:M1", "mast:M2", "mast:M3", "mast:M4"]
    assert np.allclose([lums[f"mast:M{i}"].position[2] for i in (1, 2, 3, 4)],
                       [6.2, 8.2, 5.2, 6.2])           # M3 has no height: the default 5
    assert lums["mast:M2"].photometry.builtin == "street_light_optic"
    assert lums["mast:M1"].photometry.builtin == "isotropic"
    assert [lums[f"mast:M{i}"].azimuth for i in (1, 2, 3, 4)] == [0.0, 90.0, 180.0, 270.0]
    assert all(lu.maintenance_factor == 0.9 for lu in lums.values())


def test_lamp_register_aims_at_the_nearest_road(lamps, axis_wgs84, tmp_path):
    sc = _load("""
        [[lamp_registers]]
        name = "mast"
        source = { file = "lamps.gpkg" }
        height = 6.0
        photometry = { builtin = "street_light_optic" }
        aim = "nearest_road"
        roads = { file = "axis.geojson" }
        foot_z = 0.0
        """, tmp_path)
    # posts 8 m north of an east-west axis: C90 must point south, azimuth 180
    assert np.allclose([lu.azimuth for lu in sc.luminaires], 180.0, atol=1e-6)


def test_unknown_fitting_type_names_the_key_line_and_values(lamps, tmp_path):
    with pytest.raises(ScenarioFileError, match=r"s.toml line \d+ \[lamp_registers\[0\]"
                       r"\.fitting_field\]: fitting types not in the fittings table: "
                       r"'LED-B' \(1 lamps\)"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height = 6.0
            fitting_field = "armatuur"
            fittings = { "LED-A" = { builtin = "isotropic" } }
            """, tmp_path)


def test_register_without_height_or_with_missing_field(lamps, tmp_path):
    with pytest.raises(ScenarioFileError, match=r"1 lamps have no usable mounting height"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height_field = "hoogte"
            photometry = { builtin = "isotropic" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"\[lamp_registers\[0\]\.height_field\]: "
                       r"lamps.gpkg layer 'masten' field 'height': no such field"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height_field = "height"
            photometry = { builtin = "isotropic" }
            """, tmp_path)


def test_pole_row_along_a_line_axis(axis_wgs84, tmp_path):
    sc = _load("""
        [[pole_rows]]
        name = "row"
        axis = { file = "axis.geojson" }
        spacing = 22.0
        arrangement = "opposite"
        half_width = 3.0
        setback = 0.5
        overhang = 1.0
        height = 7.0
        tilt = 5.0
        foot_z = 0.1
        photometry = { builtin = "street_light_optic" }
        """, tmp_path)
    pos = np.array([lu.position for lu in sc.luminaires])
    assert len(pos) == 12                                 # 110 m / 22 m + 1 stations, 2 sides
    assert np.allclose(np.abs(pos[:, 1] - Y0), 2.5, atol=0.01)   # 3 + 0.5 - 1
    assert np.allclose(pos[:, 2], 7.1)
    assert all(lu.tilt == 5.0 for lu in sc.luminaires)
    assert sc.luminaires[0].name == "row:1" and sc.luminaires[-1].name == "row:12"


def test_pole_row_along_a_bgt_carriageway(shared_data, tmp_path):
    bgt = shared_data / "city/delft_3dfier/bgt_wegdeel.geojson"
    lay = pyogrio.raw.read(str(bgt), where="function = 'rijbaan lokale weg'")
    geoms = shapely.from_wkb(lay[2])
    big = geoms[np.argmax(shapely.area(geoms))]
    p = _write(tmp_path / "road.gpkg", [big], id=np.array([1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)   # feet on the surface, found at run time
        sc = _load("""
            [[pole_rows]]
            name = "row"
            road = { file = "road.gpkg" }
            spacing = 25.0
            arrangement = "staggered"
            setback = 0.5
            overhang = 0.0
            height = 6.0
            photometry = { builtin = "street_light_optic" }
            """, tmp_path)
    feet = shapely.points(np.array([lu.position[:2] for lu in sc.luminaires]))
    assert 5 <= len(sc.luminaires) <= 8                   # ~150 m axis / 25 m
    assert {lu.height_reference for lu in sc.luminaires} == {"surface"}
    assert np.allclose([lu.position[2] for lu in sc.luminaires], 6.0)
    d = shapely.distance(big.boundary, feet)
    # each foot 0.5 m behind the kerb measured along its normal (measured: 0.5 m for all but
    # the first pole, 0.25 m: its nearest edge is the road's end, not the kerb it stands behind)
    assert not shapely.contains(big, feet).any()
    assert (d <= 0.5 + 1e-6).all()
    assert (np.abs(d - 0.5) < 0.01).sum() >= len(d) - 1
    del p


def test_source_errors_name_key_and_layer(tmp_path, lamps):
    with pytest.raises(ScenarioFileError, match=r"\[areas\[0\]\]: give either 'source' or "
                       "'polygon'"):
        _load("""
            [[areas]]
            name = "a"
            kind = "grid"
            polygon = [[0, 0], [1, 0], [1, 1]]
            source = { file = "lamps.gpkg" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"\[areas\[0\]\.source\]: lamps.gpkg layer "
                       r"'masten': feature 0 is a Point, expected polygons"):
        _load("""
            [[areas]]
            name = "a"
            kind = "grid"
            source = { file = "lamps.gpkg" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"\[areas\[0\]\.source\.file\]: file not "
                       "found"):
        _load("""
            [[areas]]
            name = "a"
            kind = "grid"
            source = { file = "nothing.gpkg" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"unknown key 'layr'"):
        _load("""
            [[areas]]
            name = "a"
            kind = "grid"
            source = { file = "lamps.gpkg", layr = "x" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"\[pole_rows\[0\]\]: give exactly one of "
                       "'axis'"):
        _load("""
            [[pole_rows]]
            name = "r"
            spacing = 10.0
            height = 6.0
            photometry = { builtin = "isotropic" }
            """, tmp_path)


def test_expanded_scenario_round_trips_through_the_writer(axis_wgs84, tmp_path):
    from cpted_sim.io.scenario_file import dumps_scenario

    sc = _load("""
        [[pole_rows]]
        name = "row"
        axis = { file = "axis.geojson" }
        spacing = 30.0
        half_width = 3.0
        height = 7.0
        foot_z = 0.0
        photometry = { builtin = "street_light_optic" }

        [[areas]]
        name = "walk"
        kind = "route"
        source = { file = "axis.geojson" }
        """, tmp_path)
    again = loads_scenario(dumps_scenario(sc), path=tmp_path / "t.toml", load_assets=False)
    assert [lu.name for lu in again.luminaires] == [lu.name for lu in sc.luminaires]
    assert np.allclose([lu.position for lu in again.luminaires],
                       [lu.position for lu in sc.luminaires])
    assert np.allclose(again.areas[0].path, sc.areas[0].path)


def test_the_documented_examples_load(shared_data, tmp_path):
    """Every TOML example of the GIS section of docs/scenario_files.md, together."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "scenario_files.md").read_text(
        encoding="utf-8")
    section = doc[doc.index("## GIS layers"):]
    section = section[:section.find("\n## ", 3)] if "\n## " in section[3:] else section
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert len(blocks) == 3
    city = shared_data / "city/delft_3dfier"
    (tmp_path / "bgt_wegdeel.geojson").symlink_to(city / "bgt_wegdeel.geojson")
    (tmp_path / "testarea.obj").symlink_to(city / "testarea.obj")
    ies = Path(__file__).resolve().parents[2] / "src/cpted_sim/data/demo_street_light.ies"
    (tmp_path / "street.ies").symlink_to(ies)
    _write(tmp_path / "street_axis.geojson",
           [shapely.LineString([(84900.0, 447500.0), (84950.0, 447520.0)])], id=np.array([1]))
    pts = [shapely.Point(84900.0 + 10 * i, 447505.0) for i in range(3)]
    _write(tmp_path / "lamp_posts.gpkg", pts, layer="masten",
           nummer=np.array(["1", "2", "3"], dtype=object), hoogte=np.array([6.0, 8.0, 6.0]),
           armatuur=np.array(["LED-A", "LED-B", "LED-A"], dtype=object))
    text = 'name = "doc"\n' + "\n".join(blocks)
    with pytest.warns(CptedWarning):   # footpath holes, pole feet at z = 0
        sc = loads_scenario(text, path=tmp_path / "doc.toml", load_assets=False,
                            allow_outside_files=True)  # the links point into ../shared
    names = [lu.name for lu in sc.luminaires]
    assert names[:3] == ["mast:1", "mast:2", "mast:3"] and "row:1" in names
    assert len(sc.areas) == 79 and sc.observers[0].path is not None


def test_pole_row_lights_an_area_from_a_layer_end_to_end(axis_wgs84, tmp_path):
    """A scenario whose poles and area come from layers runs; E_h matches the closed form of
    the generated isotropic sources (inverse square, cosine) on a bare ground."""
    from cpted_sim.scenario.run import run

    area = shapely.Polygon([(X0, Y0 - 4), (X0 + 60, Y0 - 4), (X0 + 60, Y0 + 4), (X0, Y0 + 4)])
    _write(tmp_path / "area.gpkg", [area], id=np.array([1]))
    q = [[X0 - 20, Y0 - 20, 0], [X0 + 120, Y0 - 20, 0], [X0 + 120, Y0 + 20, 0],
         [X0 - 20, Y0 + 20, 0]]
    text = textwrap.dedent(f"""\
        name = "e2e"
        [scene]
        builtin = "quads"
        group = "ground"
        params = {{ quads = [{q}] }}
        epsg = 28992

        [[pole_rows]]
        name = "row"
        axis = {{ file = "axis.geojson" }}
        spacing = 27.5
        arrangement = "staggered"
        half_width = 3.0
        height = 6.0
        foot_z = 0.0
        photometry = {{ builtin = "isotropic", intensity_cd = 1000.0 }}
        maintenance_factor = 1.0

        [[areas]]
        name = "street"
        kind = "grid"
        spacing = 2.0
        quantities = ["E_h"]
        source = {{ file = "area.gpkg" }}
        """)
    sc = loads_scenario(text, path=tmp_path / "e2e.toml")
    res = run(sc, threads=1, quiet=True)
    ar = res.areas["street"]
    pts = np.asarray(ar.grid.points)
    assert np.abs(pts[:, 0] - X0).max() < 100    # world coordinates
    lum = np.array([lu.position for lu in sc.luminaires])
    d = lum[None, :, :] - pts[:, None, :]
    r2 = (d ** 2).sum(2)
    expect = (1000.0 * d[..., 2] / np.sqrt(r2) / r2).sum(1)
    got = np.asarray(ar.fields["E_h"].values)
    assert len(got) > 50
    assert np.allclose(got, expect, rtol=1e-3)


def test_layers_in_different_crss_without_scene_epsg(lamps, tmp_path):
    tr = pyproj.Transformer.from_crs(28992, 32631, always_xy=True)
    _write(tmp_path / "utm.gpkg",
           [shapely.LineString([tr.transform(X0, Y0), tr.transform(X0 + 50, Y0)])],
           "EPSG:32631", id=np.array([1]))
    text = textwrap.dedent("""\
        [scene]
        builtin = "ground_plane"

        [[observers]]
        name = "posts"
        height = 1.6
        source = { file = "lamps.gpkg" }

        [[areas]]
        name = "walk"
        kind = "route"
        source = { file = "utm.gpkg" }
        """)
    with pytest.warns(CptedWarning, match=r"scene.epsg is not set.*EPSG:32631"):
        with pytest.raises(ScenarioFileError, match=r"\[observers\[0\]\.source\]: layers "
                           r"in different CRSs: EPSG:28992 in lamps.gpkg and EPSG:32631 in "
                           r"utm.gpkg \(areas\[0\]\.source\).*set scene.epsg"):
            loads_scenario(text, path=tmp_path / "s.toml", load_assets=False)
    # with scene.epsg both are taken into it
    sc = loads_scenario(text.replace('"ground_plane"', '"ground_plane"\nepsg = 28992'),
                        path=tmp_path / "s.toml", load_assets=False)
    assert np.allclose(sc.areas[0].path, [[X0, Y0], [X0 + 50, Y0]], atol=0.01)


def test_register_azimuth_far_roads_and_misplaced_keys(lamps, tmp_path):
    sc = _load("""
        [[lamp_registers]]
        name = "mast"
        source = { file = "lamps.gpkg" }
        height = 6.0
        azimuth = 45.0
        foot_z = 0.0
        photometry = { builtin = "isotropic" }
        """, tmp_path)
    assert [lu.azimuth for lu in sc.luminaires] == [45.0] * 4
    far = shapely.LineString([(X0, Y0 + 100), (X0 + 60, Y0 + 100)])
    _write(tmp_path / "far.gpkg", [far], id=np.array([1]))
    with pytest.warns(CptedWarning, match=r"4 of 4 lamp posts lie more than 30 m from the "
                      r"nearest road axis \(up to 92 m\)"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height = 6.0
            foot_z = 0.0
            aim = "nearest_road"
            roads = { file = "far.gpkg" }
            photometry = { builtin = "isotropic" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"\[lamp_registers\[0\]\.roads\]: roads "
                       "are used with aim"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height = 6.0
            roads = { file = "far.gpkg" }
            photometry = { builtin = "isotropic" }
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"give one of azimuth, orientation_field and "
                       "aim"):
        _load("""
            [[lamp_registers]]
            name = "mast"
            source = { file = "lamps.gpkg" }
            height = 6.0
            azimuth = 3.0
            orientation_field = "richting"
            photometry = { builtin = "isotropic" }
            """, tmp_path)


def test_bbox_keeps_the_features_in_the_study_area(shared_data, tmp_path):
    bgt = shared_data / "city/delft_3dfier/bgt_wegdeel.geojson"
    box = [84900.0, 447450.0, 84960.0, 447520.0]
    with pytest.warns(CptedWarning):
        sc = _load(f"""
            [[areas]]
            name = "footpath"
            kind = "grid"
            source = {{ file = "{bgt.as_posix()}", filter = {{ function = "voetpad" }}, bbox = {box} }}
            """, tmp_path)
    every = [shapely.Polygon(a.polygon) for a in sc.areas]
    assert 0 < len(every) < 78
    assert all(g.intersects(shapely.box(*box)) for g in every)
    with pytest.raises(ScenarioFileError, match=r"none of the 78 features meets the bbox"):
        _load(f"""
            [[areas]]
            name = "footpath"
            kind = "grid"
            source = {{ file = "{bgt.as_posix()}", filter = {{ function = "voetpad" }}, bbox = [0, 0, 10, 10] }}
            """, tmp_path)
    with pytest.raises(ScenarioFileError, match=r"bbox\]: expected \[xmin, ymin, xmax, ymax\]"):
        _load(f"""
            [[areas]]
            name = "footpath"
            kind = "grid"
            source = {{ file = "{bgt.as_posix()}", bbox = [10, 0, 0, 10] }}
            """, tmp_path)
