"""Words for sentences that every layer writes: plurals and shares. Stdlib only, beneath metrics and report
(metrics' reasons and evidence and the report's text use the same rules)."""
from __future__ import annotations


def plural(n, singular: str, plural_form: str | None = None, *, show: bool = True) -> str:
    """``plural(1, "time")`` -> "1 time"; ``plural(3, "verdict")`` -> "3 verdicts";
    ``plural(2, "country", "countries")``; ``show=False`` leaves the number out."""
    word = singular if n == 1 else (plural_form or (singular[:-1] + "ies" if singular.endswith("y")
                                                    and singular[-2:-1] not in "aeiou" else singular + "s"))
    return f"{n:,} {word}" if show else word


def percent(x) -> str:
    """A share (0-1) for a sentence, precise enough that a small share is not shown as 0%: whole
    per cent from 10%, one decimal from 1%, two below ("0.08%"), "under 0.01%" below that."""
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    pct = 100 * float(x)
    if pct == 0:
        return "0%"
    if 0 < pct < 0.01:
        return "under 0.01%"
    digits = 0 if abs(pct) >= 10 else (1 if abs(pct) >= 1 else 2)
    return f"{pct:.{digits}f}%"


def day(ts) -> str:
    """A date for a sentence: "22 September 2025" (a date, datetime, pandas Timestamp or an ISO
    "YYYY-MM-DD" string)."""
    if isinstance(ts, str):
        import datetime

        ts = datetime.date.fromisoformat(ts[:10])
    return f"{ts.day} {ts:%B %Y}"
