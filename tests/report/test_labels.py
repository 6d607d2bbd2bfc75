"""Human headers from one mapping, plurals, and what each resolution demanded."""
from analysis import config
from analysis.report import display, labels


def test_headers_for_people():
    assert labels.header("absence_rate") == "Absence rate"
    assert labels.header("gdp_share") == "Share of world GDP"
    assert "_" not in labels.header("some_new_column")
    assert labels.header("Votes") == "Votes"


def test_plural():
    assert labels.plural(1, "time") == "1 time"
    assert labels.plural(2, "verdict") == "2 verdicts"
    assert labels.plural(3, "country") == "3 countries"
    assert labels.plural(0, "state") == "0 states"


def test_dates_in_sentences_are_words():
    import datetime

    import pandas as pd

    from analysis.words import day
    assert day(pd.Timestamp("2025-09-02")) == "2 September 2025"
    assert day(datetime.date(2024, 6, 20)) == "20 June 2024"


def test_every_ukraine_resolution_is_described():
    for symbol in config.UKRAINE_RESOLUTIONS:
        assert labels.resolution(symbol), symbol
    seen: set = set()
    assert labels.first_mention("A/RES/ES-11/3", seen).startswith("ES-11/3 (")
    assert labels.first_mention("A/RES/ES-11/3", seen) == "ES-11/3"


def test_tables_render_human_headers():
    import pandas as pd

    html = display.table_html(pd.DataFrame({"iso3": ["CHN"], "mean_share_yes": [0.5], "with_russia": [True]}))
    assert "mean_share_yes" not in html and "with_russia" not in html
    assert "Average yes share" in html


def test_first_mention_with_a_label_and_numbers_for_sentences():
    seen: set = set()
    first = labels.first_mention("UNGA-ESS11-2026-02-24", seen, "ES-11/? (2026-02-24)")
    assert first.startswith("ES-11/? (2026-02-24; Support for lasting peace") and first.endswith(")")
    assert labels.first_mention("UNGA-ESS11-2026-02-24", seen, "ES-11/? (2026-02-24)") == "ES-11/? (2026-02-24)"
    assert labels.first_mention("A/RES/80/999", seen) == "80/999"  # not in the set: never described
    assert [labels.percent(x) for x in (0.368, 0.0328, 0.00076, 0.00004, 0)] == ["37%", "3.3%", "0.08%",
                                                                                  "under 0.01%", "0%"]
    assert labels.years([2016, 2017, 2018, 2021]) == "2016–2018 and 2021"
    assert labels.years([2023, 2022]) == "2022 and 2023" and labels.years([2024]) == "2024"


def test_treaty_kinds_read_as_words():
    assert labels.value("kind", "friendship_cooperation") == "friendship cooperation"
    assert labels.value("kind", "mutual_defence") == "mutual defence"
    assert labels.value("kind", "union_state") == "Union State"
    assert labels.value("title", "a_b") == "a_b"  # only codes of the kind column
