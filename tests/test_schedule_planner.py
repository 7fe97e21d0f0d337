"""The scheduling rules with chosen times: cron in local time, DST, weekdays, catch-up."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from veille.cli import cli
from veille.errors import ConfigError
from veille.schedule.cron import cron_trigger, crontab_days
from veille.schedule.jobs import job_spec
from veille.schedule.planner import (
    JobSpec,
    catch_up,
    fire_times,
    is_due,
    next_fire,
    plan,
    previous_fire,
)
from veille.settings import validate_settings

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int, fold: int = 0) -> datetime:
    """A Paris wall-clock time, as an aware datetime."""
    return datetime(*args, tzinfo=PARIS, fold=fold)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


DAILY_6 = JobSpec("collect", "0 6 * * *", "Europe/Paris")
DAILY_8 = JobSpec("digest", "0 8 * * *", "Europe/Paris")
HOURLY = JobSpec("alerts", "0 * * * *", "Europe/Paris")


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("*", "*"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1,3", "mon,wed"),
        ("sat,sun", "sun,sat"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("1-5/2", "mon,wed,fri"),
        ("lun-ven", "mon,tue,wed,thu,fri"),
        ("sam,dim", "sun,sat"),
        ("mar,mer,jeu", "tue,wed,thu"),
        ("lundi", "mon"),
        ("Dimanche", "sun"),
    ],
)
def test_weekdays_are_read_as_in_a_crontab(field: str, days: str) -> None:
    assert crontab_days(field) == days


@pytest.mark.parametrize("field", ["8", "5-1", "*/0", "monday-ish", ""])
def test_bad_weekdays_are_refused(field: str) -> None:
    with pytest.raises(ValueError):
        crontab_days(field)


@pytest.mark.parametrize(("field", "token"), [("lux", "lux"), ("1-x", "x"), ("lun,foo", "foo")])
def test_a_weekday_not_understood_is_said_with_what_is(field: str, token: str) -> None:
    with pytest.raises(ValueError) as caught:
        crontab_days(field)
    assert str(caught.value) == f"{token!r} is not a day: a number 0-7, or mon…sun, or lun…dim"


def test_weekday_one_is_monday() -> None:
    spec = JobSpec("collect", "0 8 * * 1", "Europe/Paris")
    fires = fire_times(spec, utc(2026, 3, 1), utc(2026, 3, 31))
    assert [fire.astimezone(PARIS).weekday() for fire in fires] == [0] * 5  # Mondays
    assert fires[0] == paris(2026, 3, 2, 8).astimezone(UTC)


def test_weekdays_only() -> None:
    spec = JobSpec("collect", "30 7 * * 1-5", "Europe/Paris")
    fires = fire_times(spec, utc(2026, 3, 2), utc(2026, 3, 9))  # Monday to Monday
    assert [fire.astimezone(PARIS).strftime("%a %H:%M") for fire in fires] == [
        "Mon 07:30",
        "Tue 07:30",
        "Wed 07:30",
        "Thu 07:30",
        "Fri 07:30",
    ]


@pytest.mark.parametrize("expression", ["61 * * * *", "0 25 * * *", "0 6 * *", "x 6 * * *"])
def test_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        cron_trigger(expression, "Europe/Paris")


def test_an_invalid_expression_is_a_config_error_naming_the_key() -> None:
    settings = validate_settings(
        {
            "database_url": "sqlite://",
            "config_path": "veille.toml",
            "schedule": {"collect": "0 25 * * *"},
        }
    )
    with pytest.raises(ConfigError) as caught:
        job_spec(settings, "collect")
    assert "schedule.collect" in caught.value.message
    assert "veille.toml" in caught.value.message


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("0 6 31 2 *", "there is no 31 February"),
        ("0 6 30 2 1", "there is no 30 February"),
        ("0 6 31 4,6,9,11 *", "there is no 31 April, June, September or November"),
    ],
)
def test_an_expression_naming_no_real_date_is_refused(expression: str, said: str) -> None:
    with pytest.raises(ValueError, match=f"never fires: {said}$"):
        cron_trigger(expression, "Europe/Paris")


@pytest.mark.parametrize("expression", ["0 6 29 2 1", "0 6 31 * *", "0 6 30,31 2,3 *"])
def test_rare_dates_that_exist_are_accepted(expression: str) -> None:
    spec = JobSpec("collect", expression, "Europe/Paris")
    assert next_fire(spec, utc(2026, 3, 2)) is not None


def test_a_schedule_that_never_fires_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "veille.toml"
    config.write_text(
        '[[brands]]\nname = "Danone"\n\n[schedule]\ncollect = "0 6 31 2 *"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "schedule", "--once"])
    assert result.exit_code == 2
    assert "schedule.collect: '0 6 31 2 *' never fires: there is no 31 February" in result.output


def test_daily_job_fires_at_local_time_in_winter_and_summer() -> None:
    winter = next_fire(DAILY_6, utc(2026, 1, 15, 12))
    summer = next_fire(DAILY_6, utc(2026, 7, 15, 12))
    assert winter == utc(2026, 1, 16, 5)
    assert summer == utc(2026, 7, 16, 4)


def test_daily_job_stays_at_six_local_across_both_dst_changes() -> None:
    spring = fire_times(DAILY_6, utc(2026, 3, 27), utc(2026, 4, 1))
    autumn = fire_times(DAILY_6, utc(2026, 10, 23), utc(2026, 10, 28))
    for fire in spring + autumn:
        assert fire.astimezone(PARIS).strftime("%H:%M") == "06:00"
    assert len(spring) == 5 and len(autumn) == 5
    assert utc(2026, 3, 28, 5) in spring and utc(2026, 3, 29, 4) in spring
    assert utc(2026, 10, 24, 4) in autumn and utc(2026, 10, 25, 5) in autumn


def test_a_time_that_does_not_exist_fires_once_an_hour_later() -> None:
    # 29 March 2026 in Paris: 02:00 CET becomes 03:00 CEST, so 02:30 never happens.
    spec = JobSpec("collect", "30 2 * * *", "Europe/Paris")
    fires = fire_times(spec, paris(2026, 3, 28, 12), paris(2026, 3, 30, 12))
    assert fires == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    assert fires[0].astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"
    # A run also due at 03:30 is the same run.
    night = JobSpec("collect", "30 1-3 * * *", "Europe/Paris")
    fires = fire_times(night, paris(2026, 3, 28, 12), paris(2026, 3, 29, 12))
    assert [fire.astimezone(PARIS).strftime("%H:%M") for fire in fires] == ["01:30", "03:30"]


def test_a_repeated_time_fires_once_for_a_fixed_hour_job() -> None:
    # 25 October 2026 in Paris: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    spec = JobSpec("collect", "30 2 * * *", "Europe/Paris")
    fires = fire_times(spec, paris(2026, 10, 24, 12), paris(2026, 10, 26, 12))
    assert fires == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_an_hourly_job_follows_real_time_through_both_changes() -> None:
    spring_day = fire_times(HOURLY, paris(2026, 3, 29) - timedelta(seconds=1), paris(2026, 3, 30))
    autumn_day = fire_times(
        HOURLY, paris(2026, 10, 25) - timedelta(seconds=1), paris(2026, 10, 26) - timedelta(1e-3)
    )
    assert len(spring_day) == 24  # 00:00 … 23:00 minus the missing hour, plus midnight next day
    assert len(autumn_day) == 25  # the repeated 02:00 runs twice: it is a real hour
    for fires in (spring_day, autumn_day):
        gaps = {later - earlier for earlier, later in pairwise(fires)}
        assert gaps == {timedelta(hours=1)}


def test_previous_fire_is_inclusive_of_now() -> None:
    six = paris(2026, 3, 2, 6).astimezone(UTC)
    assert previous_fire(DAILY_6, six) == six
    assert previous_fire(DAILY_6, six - timedelta(seconds=1)) == six - timedelta(days=1)
    assert next_fire(DAILY_6, six) == six + timedelta(days=1)


def test_previous_fire_of_a_rare_cron_looks_back_years() -> None:
    leap = JobSpec("collect", "0 0 29 2 *", "UTC")
    assert previous_fire(leap, utc(2027, 6, 1)) == utc(2024, 2, 29)
    minutely = JobSpec("collect", "* * * * *", "UTC")
    assert previous_fire(minutely, utc(2026, 3, 2, 9, 30, 59)) == utc(2026, 3, 2, 9, 30)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        previous_fire(DAILY_6, datetime(2026, 3, 2, 9))


def test_due_only_when_the_latest_fire_time_has_no_run_since() -> None:
    now = paris(2026, 3, 2, 9).astimezone(UTC)
    six = paris(2026, 3, 2, 6).astimezone(UTC)
    assert is_due(DAILY_6, None, now)  # never ran
    assert is_due(DAILY_6, six - timedelta(seconds=1), now)  # ran just before today's time
    assert not is_due(DAILY_6, six, now)  # ran at today's time
    assert not is_due(DAILY_6, six + timedelta(minutes=3), now)


def test_catch_up_runs_each_missed_job_once_after_days_of_downtime() -> None:
    last = paris(2026, 2, 25, 6, 0, 5).astimezone(UTC)  # then the machine was off for days
    now = paris(2026, 3, 2, 10).astimezone(UTC)
    assert len(fire_times(DAILY_6, last, now)) == 5  # five collect times were missed …
    due = catch_up([DAILY_6, DAILY_8, HOURLY], {"collect": last, "digest": last}, now)
    assert due == ["collect", "digest"]  # … and each job runs once; untracked alerts never


def test_nothing_to_catch_up_when_up_to_date() -> None:
    now = paris(2026, 3, 2, 7).astimezone(UTC)
    last_collect = paris(2026, 3, 2, 6, 0, 1).astimezone(UTC)
    last_digest = paris(2026, 3, 1, 8, 0, 2).astimezone(UTC)  # today's 08:00 has not come yet
    assert catch_up([DAILY_6, DAILY_8], {"collect": last_collect, "digest": last_digest}, now) == []


def test_catch_up_keeps_the_order_of_the_jobs() -> None:
    now = utc(2026, 3, 2, 12)
    assert catch_up([DAILY_8, DAILY_6], {"collect": None, "digest": None}, now) == [
        "digest",
        "collect",
    ]


def test_plan_reports_last_next_and_due_times() -> None:
    now = paris(2026, 3, 2, 7).astimezone(UTC)
    (collect, alerts) = plan([DAILY_6, HOURLY], {"collect": None}, now)
    assert collect.tracked and collect.catch_up
    assert collect.due_since == paris(2026, 3, 2, 6).astimezone(UTC)
    assert collect.next_run == paris(2026, 3, 3, 6).astimezone(UTC)
    assert not alerts.tracked and not alerts.catch_up
    assert alerts.next_run == paris(2026, 3, 2, 8).astimezone(UTC)


def test_other_time_zones() -> None:
    spec = JobSpec("collect", "0 6 * * *", "America/New_York")
    assert next_fire(spec, utc(2026, 1, 15, 12)) == utc(2026, 1, 16, 11)


def test_the_trigger_survives_pickling_with_its_dst_rule() -> None:
    trigger = pickle.loads(pickle.dumps(cron_trigger("30 2 * * *", "Europe/Paris")))
    first = trigger.get_next_fire_time(None, paris(2026, 10, 25, 1))
    second = trigger.get_next_fire_time(first, first)
    assert second.astimezone(UTC) == utc(2026, 10, 26, 1, 30)
