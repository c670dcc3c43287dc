import datetime as dt
from zoneinfo import ZoneInfo

from reports.metrics import intervals as iv


def t(hour: float) -> float:
    return 1_767_225_600.0 + hour * 3600  # 2026-01-01T00:00Z


def test_merge_joins_overlapping_and_touching_intervals():
    assert iv.merge([(t(5), t(6)), (t(0), t(2)), (t(1), t(3)), (t(3), t(4))]) == [(t(0), t(4)), (t(5), t(6))]


def test_clip_drops_intervals_outside_the_bounds():
    assert iv.clip_all([(t(-2), t(1)), (t(9), t(12)), (t(20), t(21))], (t(0), t(10))) == [
        (t(0), t(1)),
        (t(9), t(10)),
    ]


def test_subtract_cuts_holes_out_of_intervals():
    result = iv.subtract([(t(0), t(10)), (t(12), t(14))], [(t(1), t(2)), (t(5), t(13))])
    assert result == [(t(0), t(1)), (t(2), t(5)), (t(13), t(14))]
    assert iv.subtract([(t(0), t(1))], [(t(0), t(1))]) == []
    assert iv.subtract([(t(3), t(4))], [(t(0), t(1)), (t(8), t(9))]) == [(t(3), t(4))]


def test_intersect_keeps_the_common_part():
    assert iv.intersect([(t(0), t(4)), (t(6), t(8))], [(t(3), t(7))]) == [(t(3), t(4)), (t(6), t(7))]


def test_split_by_days_distributes_seconds_into_buckets():
    boundaries = [t(0), t(24), t(48)]
    assert iv.split_by([(t(20), t(30))], boundaries) == [4 * 3600, 6 * 3600]
    assert iv.split_by([(t(30), t(31)), (t(1), t(2))], boundaries) == [3600, 3600]


def test_periods_are_local_midnights_and_dst_days_are_23_or_25_hours():
    helsinki = ZoneInfo("Europe/Helsinki")

    def hours(start, end):
        low, high = iv.period_bounds(start, end, helsinki)
        return (high - low).total_seconds() / 3600

    assert hours(dt.date(2026, 3, 1), dt.date(2026, 4, 1)) == 743
    assert hours(dt.date(2026, 10, 1), dt.date(2026, 11, 1)) == 745
    assert hours(dt.date(2026, 3, 29), dt.date(2026, 3, 30)) == 23
    start, _ = iv.period_bounds(dt.date(2026, 3, 1), dt.date(2026, 3, 2), helsinki)
    assert start == dt.datetime(2026, 2, 28, 22, tzinfo=dt.UTC)
