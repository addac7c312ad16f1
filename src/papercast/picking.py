"""Hand-picking a week's papers: the shortlist file, keyboard selections, recording picks.

Picks are stored (they teach the ranking) and put the picked papers first in the week's frozen
selection, where they become the highlights.
"""

from __future__ import annotations

import re
from pathlib import Path

from papercast.errors import InputError, NotFoundError
from papercast.layout import atomic_write_text
from papercast.models import Paper
from papercast.store import Database
from papercast.store.weekly import RankedRef, WeeklyState, WeeklyStore

_LINE = re.compile(r"^\s*[-*]\s*\[(?P<mark>[ xX*])\]\s.*\((?P<id>[a-z]+:[^)\s]+)\)\s*$")


def write_shortlist(
    path: Path, issue_id: str, ranked: list[RankedRef], papers: dict[str, Paper]
) -> None:
    """A Markdown checklist of the week's candidates, best first, picks already ticked."""
    lines = [
        f"# papercast shortlist for {issue_id}",
        "",
        "Mark the papers you want with [x]; the rest count as passed over.",
        "",
    ]
    for ref in ranked:
        paper = papers.get(ref.id)
        title = " ".join((paper.title if paper else ref.id).split())
        lines.append(f"- [{'x' if ref.picked else ' '}] {title} ({ref.id})")
    atomic_write_text(path, "\n".join(lines) + "\n")


def read_shortlist(path: Path) -> list[str]:
    """Ids marked [x] in a shortlist file; a line that looks like an item but is not is an error."""
    if not path.is_file():
        raise NotFoundError(f"no shortlist at {path}", "run `papercast pick WEEK --write` first")
    picked: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip().startswith(("- [", "* [")):
            continue
        match = _LINE.match(line)
        if match is None:
            raise InputError(
                f"{path}:{number}: cannot read this shortlist line", "keep the '(id)' at the end"
            )
        if match["mark"] != " ":
            picked.append(match["id"])
    return picked


def parse_selection(text: str, count: int) -> set[int]:
    """'1 3 5-7' -> {1, 3, 5, 6, 7}; ValueError for anything else or out of 1..count."""
    chosen: set[int] = set()
    for part in text.replace(",", " ").split():
        if "-" in part:
            start, _, end = part.partition("-")
            if not (start.isdigit() and end.isdigit()):
                raise ValueError(part)
            chosen.update(range(int(start), int(end) + 1))
        elif part.isdigit():
            chosen.add(int(part))
        else:
            raise ValueError(part)
    if any(n < 1 or n > count for n in chosen):
        raise ValueError(text)
    return chosen


def apply_picks(db: Database, state: WeeklyState, picked: list[str]) -> WeeklyState:
    """Record ``picked`` (the rest of the week's candidates count as passed over) and put the
    picked papers first. Unknown ids are an error and change nothing."""
    from papercast.rank import record_picks

    known = {r.id for r in state.ranked}
    unknown = [p for p in picked if p not in known]
    if unknown:
        raise InputError(
            f"{unknown[0]} is not a candidate of {state.issue_id}", "pick from the shortlist"
        )
    record_picks(db, state.issue_id, picked, [r.id for r in state.ranked])
    chosen = set(picked)
    for ref in state.ranked:
        ref.picked = ref.id in chosen
    state.ranked = picked_first(state.ranked)
    return state


def picked_first(refs: list[RankedRef]) -> list[RankedRef]:
    return [r for r in refs if r.picked] + [r for r in refs if not r.picked]


def set_pick(db: Database, issue_id: str, paper_id: str, picked: bool) -> None:
    """Pick (or unpick) one candidate of a week, as ``papercast pick`` would record the whole
    choice: the same pick records, the picked papers first in the frozen selection (then the
    others, best score first).

    The first pick of a week labels every candidate (the rest as passed over), as `papercast
    pick` does; once they all carry a label, a toggle changes only its own rows."""
    from papercast.store.picks import PickStore

    weekly = WeeklyStore(db)
    picks = PickStore(db)
    with db.transaction():
        stage = weekly.stage(issue_id)
        if stage is None:
            raise NotFoundError(
                f"{issue_id} has not been ranked yet",
                f"run `papercast run --week {issue_id} --pick`",
            )
        if not weekly.has(issue_id, paper_id):
            raise InputError(f"{paper_id} is not a candidate of {issue_id}", "pick from the list")
        if picks.count(issue_id) >= weekly.candidate_count(issue_id):
            picks.set_one(issue_id, paper_id, picked)
            weekly.set_picked(issue_id, paper_id, picked)
        else:
            state = weekly.get(issue_id)
            assert state is not None  # checked above, in the same transaction
            state.ranked.sort(key=lambda r: -r.score)  # rank order, as `papercast pick` sees it
            chosen = [
                r.id
                for r in state.ranked
                if (r.picked or r.id == paper_id) and (picked or r.id != paper_id)
            ]
            weekly.save(apply_picks(db, state, chosen))
        if stage == "done":  # picks changed after the issue was built: build it again
            weekly.set_stage(issue_id, "waiting-for-picks")
