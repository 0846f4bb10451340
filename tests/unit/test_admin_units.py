"""The pure parts of the admin dashboards: the key that groups knowledge gaps, the CSV cells and
the window of days."""

from datetime import UTC, date, datetime

import pytest

from api.csv_export import csv_cell
from shared.admin.gaps import gap_key
from shared.admin.window import Window

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("What is AMH?", "amh: WHAT is it"),
        ("Can stress cause infertility?", "infertility, stress... can it CAUSE stress?"),
        ("¿Qué es la FIV?", "fiv qué es la"),
    ],
)
def test_the_same_content_terms_are_one_group(first: str, second: str) -> None:
    assert gap_key(first) == gap_key(second)


@pytest.mark.parametrize(
    ("first", "second"), [("What is AMH?", "What are AMH levels?"), ("IVF cost", "IUI cost")]
)
def test_another_content_word_is_another_group(first: str, second: str) -> None:
    assert gap_key(first) != gap_key(second)


def test_a_question_of_stopwords_only_is_keyed_by_its_words() -> None:
    assert gap_key("What is it?") == "is it what"
    assert gap_key("?!") == ""


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        (-0.5, -0.5),
        (3, 3),
        (None, None),
        (["en", "es"], "en es"),
        (["=x"], "'=x"),
        (date(2001, 1, 31), "2001-01-31"),
        (datetime(2001, 1, 31, 23, tzinfo=UTC), "2001-01-31T23:00:00+00:00"),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def test_a_window_is_whole_utc_days_ending_with_its_last() -> None:
    window = Window.ending(date(2001, 3, 1), 2)
    assert (window.first_day, window.last_day) == (date(2001, 2, 28), date(2001, 3, 1))
    assert window.since == datetime(2001, 2, 28, tzinfo=UTC)
    assert window.before == datetime(2001, 3, 2, tzinfo=UTC)
    assert window.each_day() == [date(2001, 2, 28), date(2001, 3, 1)]


def test_a_window_ends_today_by_default() -> None:
    assert Window.ending(None, 1).last_day == datetime.now(UTC).date()
