"""What ranking works on: the reader's profile, and papers ranked with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field, field_validator

from papercast.models import CleanText, Model, Paper


class ProfileItem(Model):
    """One paper the reader picked (a positive) or saw and passed over (a negative)."""

    title: CleanText
    abstract: CleanText = ""
    paper_id: str | None = None
    picked: bool = True
    when: datetime | None = Field(default=None, description="when it was picked or added")
    origin: str = Field(default="history", description="pick:<issue> or history:<file>")
    paper_date: datetime | None = Field(default=None, description="when the paper was listed")
    batch: str | None = Field(
        default=None, description="the screening it was labelled in (a day or an issue)"
    )
    shown_before: bool = Field(default=False, description="shown in an earlier batch too")

    @field_validator("when", "paper_date")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """Naive times are UTC, so picks and imports compare."""
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}"


class Profile(Model):
    """Everything papercast knows about what the reader wants."""

    items: list[ProfileItem] = Field(default_factory=list)
    interests: str = ""
    boosts: dict[str, float] = Field(default_factory=dict)

    @property
    def positives(self) -> list[ProfileItem]:
        return [item for item in self.items if item.picked]

    @property
    def negatives(self) -> list[ProfileItem]:
        return [item for item in self.items if not item.picked]

    @property
    def has_positives(self) -> bool:
        return any(item.picked for item in self.items)


class RankedPaper(Model):
    """A candidate with its score (higher is better) and a short human reason."""

    paper: Paper
    score: float
    why: str = ""
