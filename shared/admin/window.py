"""The period a dashboard covers: whole UTC days, so each day of a series is complete."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict


class Window(BaseModel):
    """The `days` UTC days from `first_day` to `last_day`, both included."""

    model_config = ConfigDict(frozen=True)

    first_day: date
    last_day: date
    days: int

    @classmethod
    def ending(cls, last_day: date | None, days: int) -> Window:
        """The `days` days ending with `last_day`, today (UTC) when it is None."""
        last = last_day or datetime.now(UTC).date()
        return cls(first_day=last - timedelta(days=days - 1), last_day=last, days=days)

    @property
    def since(self) -> datetime:
        """Its first instant (included)."""
        return datetime.combine(self.first_day, time(), UTC)

    @property
    def before(self) -> datetime:
        """The instant after it (excluded)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), UTC)

    def each_day(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]

    def params(self) -> dict[str, Any]:
        """The bounds as the queries' `:since` and `:before`."""
        return {"since": self.since, "before": self.before}
