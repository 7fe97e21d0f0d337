"""Quarter hours added up into local calendar days, against converting each one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from veille.store.stats import QUARTER_HOUR, _Group, _local_days

# Zones with half-hour and 45-minute offsets, daylight saving time at midnight, and a day skipped.
ZONES = (
    "Europe/Paris", "Asia/Kolkata", "Asia/Kathmandu", "America/Santiago", "America/Havana",
    "Australia/Lord_Howe", "Pacific/Apia", "America/St_Johns", "UTC",
)  # fmt: skip
# From 2005 to 2035, in quarter hours since 1970.
QUARTERS = st.integers(1_104_537_600 // QUARTER_HOUR, 2_051_222_400 // QUARTER_HOUR)


@settings(max_examples=300)
@given(
    st.sampled_from(ZONES),
    QUARTERS,
    # Close together (within four days) as well as scattered over the years.
    st.lists(st.tuples(st.integers(0, 400), st.integers(1, 3)), max_size=60),
    st.lists(st.tuples(QUARTERS, st.integers(1, 3)), max_size=10),
)
def test_local_days_match_converting_every_quarter(
    zone_name: str, base: int, near: list[tuple[int, int]], far: list[tuple[int, int]]
) -> None:
    zone = ZoneInfo(zone_name)
    # One group per quarter, as the query gives them.
    counts = dict([(base + offset, count) for offset, count in near] + far)
    expected: dict[str, int] = {}
    for number, count in counts.items():
        day = datetime.fromtimestamp(number * QUARTER_HOUR, zone).date().isoformat()
        expected[day] = expected.get(day, 0) + count
    groups = [_Group(number, count) for number, count in counts.items()]
    assert {day.key: day.mentions for day in _local_days(groups, zone)} == expected
