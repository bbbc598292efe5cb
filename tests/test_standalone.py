"""Stand-alone: the repository carries every file the app and the CLI read, with its licence.

A clone with nothing beside it must run the map and the geocoder (issue 9). CI also proves it end to end
(`.ci/run` runs the suite in a copy of the checkout where no ``../shared`` exists, then a smoke run).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from geo import boundaries, settings
from geo.gazetteer import load_gazetteer
from geo.geocode import geocode_text

REPO = settings.REPO_ROOT
RUNTIME_CODE = [REPO / "app.py", *sorted((REPO / "geo").rglob("*.py")), *sorted((REPO / "pages").rglob("*.py"))]
DATA_SUFFIXES = {".csv", ".parquet", ".geojson", ".zip"}


def test_no_runtime_code_names_the_shared_folder():
    pattern = re.compile(r"\.\./shared|['\"]shared['\"]")
    offenders = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in RUNTIME_CODE
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_default_paths_are_inside_the_repository(monkeypatch):
    for name in (settings.BOUNDARIES_ENV, settings.GAZETTEER_ENV, settings.EVENTS_ENV, settings.SOURCE_EVENTS_ENV):
        monkeypatch.delenv(name, raising=False)
    for path in (
        boundaries.find_boundaries_dir(),
        settings.gazetteer_dir(),
        settings.events_path(),
        settings.source_events_dir(),
    ):
        assert path.resolve().is_relative_to(REPO), path


def test_every_shipped_data_file_is_in_the_readme_licence_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Data sources and licences") :]
    table = table[: table.index("\n## ", 1)]
    files = [p for p in (REPO / "data").rglob("*") if p.suffix in DATA_SUFFIXES]
    tracked = set(
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "data"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.split()
    )
    if tracked:  # a git checkout: only what is not git-ignored ships (downloaded zips are ignored)
        files = [p for p in files if str(p.relative_to(REPO)) in tracked]
    assert len(files) >= 10
    missing = [str(p.relative_to(REPO)) for p in files if p.name not in table]
    assert missing == []


def test_each_data_folder_has_its_licence_and_the_gpl_component_is_separate():
    assert "CC BY-IGO" in (REPO / "data/boundaries/LICENSE.md").read_text(encoding="utf-8")
    assert "strictly for humanitarian purposes" in (REPO / "data/boundaries/LICENSE.md").read_text(encoding="utf-8")
    gazetteer_readme = (REPO / "data/gazetteer/README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in gazetteer_readme and "GPL-3.0" in gazetteer_readme
    iec = REPO / "data/gazetteer/iec"
    assert "GNU GENERAL PUBLIC LICENSE" in (iec / "COPYING").read_text(encoding="utf-8")
    notice = (iec / "NOTICE.md").read_text(encoding="utf-8")
    assert "Colin Cookman" in notice and "GPL-3.0" in notice
    # Only the IEC files sit in the GPL folder.
    assert sorted(p.name for p in iec.glob("*.csv")) == [
        "afg_district_name_variants_iec.csv",
        "afg_settlements_iec2019.csv",
    ]


def test_bundled_boundaries_are_the_ocha_2018_edition():
    provinces = boundaries.load_provinces()
    districts = boundaries.load_districts()
    assert (len(provinces), len(districts)) == (settings.N_PROVINCES, settings.N_DISTRICTS)
    assert set(districts["source_date"].astype(str).str[:10]) == {"2017-08-23"}
    assert set(districts["valid_on"].astype(str).str[:10]) == {"2018-05-22"}
    assert (districts["pcode"] == districts["ADM2_PCODE"]).all()
    # The display copies have the same units.
    assert list(boundaries.load_districts(simplified=True)["pcode"]) == list(districts["pcode"])


def test_bundled_boundaries_equal_the_official_zips(eval_data):
    import geopandas as gpd
    import shapely

    source = eval_data / "boundaries" / "source"
    official = gpd.read_file(f"zip://{source / settings.DISTRICTS_ZIP}").sort_values("ADM2_PCODE")
    bundled = boundaries.load_districts()
    assert official["ADM2_PCODE"].tolist() == bundled["pcode"].tolist()
    assert official["ADM2_EN"].tolist() == bundled["name_en"].tolist()
    # Snapped to a 1e-6 degree grid when converted (vertices merged there move a little more): within 1 m.
    distance = shapely.hausdorff_distance(official.geometry.to_numpy(), bundled.geometry.to_numpy())
    assert float(distance.max()) < 1e-5


def test_the_issue_example_geocodes_from_the_bundled_gazetteer(monkeypatch):
    monkeypatch.delenv(settings.GAZETTEER_ENV, raising=False)
    load_gazetteer()  # reads data/gazetteer/
    got = geocode_text("Ganj-e-Shalbafan, PD-14, Herat City")
    assert (got.adm1_pcode, got.adm2_pcode) == ("AF32", "AF3201")


@pytest.mark.parametrize("command", [["summary", "--group", "NRF"], ["spread", "--group", "NRF"]])
def test_commands_run_with_nothing_beside_the_checkout(command, tmp_path):
    # A subprocess with HOME and the working directory elsewhere: only the repository's files are read.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "geo", *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert '"events"' in done.stdout or "events" in done.stdout


def test_readme_states_the_size_of_the_shipped_data():
    """The README's data size (issue 9) is the size of what ``data/`` holds, to the byte and the file."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    files = [p for p in (REPO / "data").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    total = sum(p.stat().st_size for p in files)
    stated = re.findall(r"\(([\d.]+) MB[:,]\s+([\d,]+) bytes in (\d+) files", readme)
    assert len(stated) == 2, "the set-up and the licences sections both state the data size"
    for mb, size, count in stated:
        assert (int(size.replace(",", "")), int(count)) == (total, len(files))
        assert float(mb) == round(total / 1e6, 1)
