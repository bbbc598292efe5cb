"""geo.display: the wording of dates, placements and unit names, on the bundled events."""

from __future__ import annotations

from geo import boundaries, display
from geo.events import load_events


def test_every_bundled_event_date_shows_its_precision():
    events = load_events()
    labels = display.date_labels(events)
    coarse = events["date_precision"].isin(["week", "month"])
    assert coarse.sum() >= 20
    for label, precision in zip(labels[coarse], events.loc[coarse, "date_precision"], strict=True):
        assert label.endswith(f"({precision})")
    # A day-level date never names its precision and never reads as an ISO string.
    assert not labels[~coarse].str.contains(r"\(|\d{4}-\d\d-\d\d").any()


def test_placements_say_what_the_point_stands_for():
    events = load_events()
    labels = events["geo_precision"].map(display.placement_label)
    assert (labels[events["geo_precision"] == 2] == "placed at district centre").all()
    assert set(labels) <= {*display.PLACEMENT_LABELS.values(), display.UNPLACED_LABEL}


def test_unit_labels_give_the_common_name_with_the_ocha_one():
    provinces = boundaries.load_provinces()
    labels = dict(
        zip(provinces["pcode"], map(display.unit_label, provinces["pcode"], provinces["name_en"]), strict=True)
    )
    assert labels["AF32"] == "Herat (Hirat)" and labels["AF30"] == "Helmand (Hilmand)"
    assert labels["AF19"] == "Kunduz" and labels["AF01"] == "Kabul"
    # Only the provinces whose press name differs carry a second name.
    assert 5 <= sum("(" in v for v in labels.values()) <= 12
