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
