"""One default per idea (docs/architecture.md §10): Python, scenario files, pole registers and
the CLI (which reads scenario files) take the maintenance factor and the observer range from
one constant each."""

from __future__ import annotations

import dataclasses
import inspect
import textwrap

import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim.io.scenario_file import loads_scenario
from cpted_sim.photometry import DEFAULT_MAINTENANCE_FACTOR
from cpted_sim.photometry.builtin import canary
from cpted_sim.scenario import model as m
from cpted_sim.scenario.poles import poles_along_road
from cpted_sim.visibility import openings
from cpted_sim.visibility.observers import DEFAULT_RANGE, ObserverSet


def _default(cls, name):
    return {f.name: f.default for f in dataclasses.fields(cls)}[name]


def test_the_defaults_are_maintained_values_and_a_street_range():
    assert DEFAULT_MAINTENANCE_FACTOR == pytest.approx(0.8)
    assert DEFAULT_RANGE == pytest.approx(50.0)


def test_one_maintenance_factor_default():
    assert cs.Luminaire(canary(), (0, 0, 6)).maintenance_factor == DEFAULT_MAINTENANCE_FACTOR
    assert _default(m.LuminaireSpec, "maintenance_factor") == DEFAULT_MAINTENANCE_FACTOR
    poles = poles_along_road(np.array([[0.0, 0.0], [40.0, 0.0]]), 20.0,
                             ground_z=lambda xy: np.zeros(len(xy)))
    assert {lum.maintenance_factor for lum in poles.luminaires(canary())} == {
        DEFAULT_MAINTENANCE_FACTOR}


def test_one_observer_range_default():
    assert _default(m.ObserverSpec, "range") == DEFAULT_RANGE
    for fn in (ObserverSet.from_points, ObserverSet.from_faces, ObserverSet.on_facades,
               ObserverSet.from_paths, openings.semantic_openings):
        assert inspect.signature(fn).parameters["max_distance"].default == DEFAULT_RANGE, fn
    assert inspect.signature(openings.generate_windows).parameters["range"].default == DEFAULT_RANGE
    eyes = ObserverSet.from_points([[0.0, 0.0, 1.6]])
    assert eyes.max_distance[0] == DEFAULT_RANGE


def test_a_scenario_file_without_them_gets_the_same_defaults(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(textwrap.dedent("""
        [scene]
        builtin = "street_canyon"

        [[luminaires]]
        name = "L1"
        photometry = { builtin = "street_light_optic", flux = 6000 }
        position = [10.0, 0.0, 6.0]

        [[observers]]
        name = "eyes"
        kind = "person"
        points = [[5.0, 0.0, 1.6]]
        """))
    sc = loads_scenario(path.read_text(), path=path)
    assert sc.luminaires[0].maintenance_factor == DEFAULT_MAINTENANCE_FACTOR
    assert sc.observers[0].range == DEFAULT_RANGE
