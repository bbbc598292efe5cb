"""Boundary loading: counts, keys, search order, error when absent."""

from __future__ import annotations

import shutil

import pytest

from geo import boundaries, settings
from geo.errors import BoundariesNotFoundError


def test_full_boundaries_have_34_provinces_and_399_districts():
    provinces = boundaries.load_provinces()
    districts = boundaries.load_districts()
    assert len(provinces) == 34 and provinces["pcode"].is_unique
    assert len(districts) == 399 and districts["pcode"].is_unique
    assert provinces.crs.to_epsg() == 4326
    # Every district's province exists, and join keys are codes, not names.
    assert set(districts["adm1_pcode"]) == set(provinces["pcode"])
    assert districts["pcode"].str.fullmatch(r"AF\d{4}").all()


def test_simplified_boundaries_keep_the_same_units_with_fewer_vertices():
    full = boundaries.load_districts()
    simple = boundaries.load_districts(simplified=True)
    assert list(simple["pcode"]) == list(full["pcode"])
    n_full = full.geometry.count_coordinates().sum()
    n_simple = simple.geometry.count_coordinates().sum()
    assert n_simple < n_full / 2


def test_repeated_district_names_are_distinct_units():
    districts = boundaries.load_districts()
    counts = districts["name_en"].value_counts()
    repeated = set(counts[counts > 1].index)
    # SOURCES.md lists these 11 names as occurring in two provinces each.
    assert {"Arghandab", "Baharak", "Fayzabad", "Kohistan", "Qara Bagh", "Surobi", "Tagab"} <= repeated
    assert districts.loc[districts["name_en"] == "Fayzabad", "adm1_pcode"].nunique() == 2


def test_env_variable_folder_with_only_the_official_zips_is_read(tmp_path, monkeypatch, boundary_zips):
    for z in (settings.PROVINCES_ZIP, settings.DISTRICTS_ZIP):
        shutil.copy(boundary_zips / z, tmp_path / z)
    monkeypatch.setenv(settings.BOUNDARIES_ENV, str(tmp_path))
    assert boundaries.find_boundaries_dir() == tmp_path
    districts = boundaries.load_districts()
    assert len(districts) == 399
    assert districts.loc[districts["pcode"] == "AF0801", "name_en"].item() == "Bazarak"
    # No simplified file there: made from the full one on the fly.
    assert len(boundaries.load_provinces(simplified=True)) == 34


def test_env_variable_pointing_to_an_empty_folder_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.BOUNDARIES_ENV, str(tmp_path))
    with pytest.raises(BoundariesNotFoundError, match="python -m geo download-boundaries"):
        boundaries.find_boundaries_dir()


def test_no_boundaries_anywhere_names_the_folders_and_the_command(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.BOUNDARIES_ENV, raising=False)
    monkeypatch.setattr(settings, "LOCAL_BOUNDARIES_DIR", tmp_path / "local")
    with pytest.raises(BoundariesNotFoundError, match=r"searched .*local.*download-boundaries"):
        boundaries.load_districts()
