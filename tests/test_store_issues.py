"""IssueStore and EmailStore: issues round-trip as JSON; sends are keyed by issue+address."""

from __future__ import annotations

from papercast.store import Database
from papercast.store.emails import EmailStore
from papercast.store.issues import IssueStore
from support.issue_builders import sample_issue


def test_issues_round_trip_replace_and_list_newest_first() -> None:
    with Database(":memory:") as db:
        store = IssueStore(db)
        assert store.latest() is None and store.get("2024-W41") is None
        w41 = sample_issue(issue_id="2024-W41")
        store.save(sample_issue(issue_id="2024-W40"))
        store.save(w41)
        assert store.get("2024-W41") == w41
        assert store.ids() == ["2024-W41", "2024-W40"]
        changed = w41.model_copy(update={"audio_file": "episode.mp3", "audio_duration_seconds": 99})
        store.save(changed)
        assert store.get("2024-W41") == changed
        assert [i.id for i in store.list()] == ["2024-W41", "2024-W40"]
        assert store.latest() == changed
        assert store.delete("2024-W40") and not store.delete("2024-W40")
        assert store.ids() == ["2024-W41"]


def test_email_sends_are_per_issue_and_case_insensitive() -> None:
    with Database(":memory:") as db:
        store = EmailStore(db)
        store.record("2024-W41", "Ann@X.org", status="failed", message_id="<1@x>", attempts=3,
                     error="451")  # fmt: skip
        assert not store.was_sent("2024-W41", "ann@x.org")
        store.record("2024-W41", "ann@x.org", status="sent", message_id="<2@x>", attempts=1)
        assert store.was_sent("2024-W41", "ANN@x.org")
        assert not store.was_sent("2024-W42", "ann@x.org")
        [record] = store.for_issue("2024-W41")
        assert (record.address, record.status, record.message_id) == ("ann@x.org", "sent", "<2@x>")
