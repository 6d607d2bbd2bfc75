"""Hand-curated tables (data/manual/): read as text and checked against their schemas, so that
problems name the lines of the file people edit."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets.schemas import TABLES, UN_ADMISSION, Table
from analysis.datasets.tableio import check_table, read_table, read_text_table
from analysis.errors import DataValidationError, Problem


def hand_table(name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A hand-curated table from data/manual/, as text, checked against its schema first so that
    problems name the lines of the file people edit."""
    return hand_input(TABLES[name])


def hand_input(table: Table) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Any hand-curated file (a curated table's source or an input such as the partial records), as
    text, checked against its schema."""
    path = config.manual_dir() / table.filename
    label = f"manual/{table.filename}"
    df, problems = read_text_table(path, label)
    if df is None:
        return None, problems
    _, problems = check_table(df, table, label)
    return (df if not problems else None), problems


def un_admission() -> pd.DataFrame:
    """UN admission dates (hand-curated, sourced), checked against their schema."""
    df, problems = read_table(config.manual_dir() / UN_ADMISSION.filename, UN_ADMISSION,
                              f"manual/{UN_ADMISSION.filename}")
    if df is None:
        raise DataValidationError(problems)
    df["un_member_from"] = df["un_member_from"].dt.strftime("%Y-%m-%d")
    return df
