"""The scales the bench runs at (no Django import: the command line reads them before set-up)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    provinces: tuple[str, ...] | None  # legacy province codes to load; None = the whole country
    districts: tuple[str, ...] | None  # only these districts of them (and their communes); None = all
    naive_load_sample: tuple[str, ...] | None  # provinces the per-object load is timed on; None = all loaded
    province: str  # the unit of the province user whose view the figures measure
    repeat: int  # timed runs per measurement (the median is reported)
    load_seconds: int = 60  # how long locust drives the server (the load figure)
    load_users: int = 4  # locust users: a cadre of each level (commune, district, province, central)


SCALES = {
    # The whole country: 63 provinces, 696 districts, ~10,000 communes, ~65,000 units. Hà Nội (01) is
    # the largest legacy province (30 districts, 579 communes). The per-object load is timed on
    # Điện Biên (11) and Lai Châu (12), ~1,550 units, and extrapolated per unit.
    "full": Scale("full", None, None, ("11", "12"), "01", repeat=3),
    # A few seconds: Điện Biên with two of its districts (Điện Biên Phủ city, Mường Lay town),
    # 15 communes, ~115 units with member organizations.
    "tiny": Scale("tiny", ("11",), ("094", "095"), None, "11", repeat=3, load_seconds=5),
}
