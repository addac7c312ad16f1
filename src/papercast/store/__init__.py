"""SQLite state: the only place that writes papercast's state.

``Database`` owns the connection, WAL mode, transactions and migrations; each ``*Store``
class is the data access for one kind of record and takes a ``Database``.
"""

from papercast.store.db import Database, utcnow
from papercast.store.papers import PaperStore, UpsertOutcome
from papercast.store.runs import RunStore

__all__ = ["Database", "PaperStore", "RunStore", "UpsertOutcome", "utcnow"]
