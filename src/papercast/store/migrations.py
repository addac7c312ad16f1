"""Numbered schema migrations, applied in order and recorded in ``migrations``.

Never edit a migration that has shipped; add a new one. Number ranges by area keep
parallel work from colliding: 1-9 core, 10-19 summaries/LLM, 20-29 issue/exports,
30-39 audio, 40-49 ranking, 50-59 pipeline.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "core",
        """
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            version INTEGER,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            published TEXT,
            updated TEXT,
            data TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_fetched_at TEXT NOT NULL
        );
        CREATE INDEX papers_published ON papers(published);
        CREATE INDEX papers_source ON papers(source);
        CREATE TABLE paper_versions (
            paper_id TEXT NOT NULL REFERENCES papers(id),
            version INTEGER NOT NULL,
            updated TEXT,
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, version)
        );
        CREATE TABLE paper_aliases (
            alias TEXT PRIMARY KEY,
            paper_id TEXT NOT NULL REFERENCES papers(id)
        );
        CREATE INDEX paper_aliases_paper ON paper_aliases(paper_id);
        CREATE TABLE seen (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id),
            seen_at TEXT NOT NULL,
            context TEXT
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            window TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            report TEXT
        );
        CREATE TABLE run_papers (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            paper_id TEXT NOT NULL,
            source TEXT NOT NULL,
            outcome TEXT NOT NULL,
            rule TEXT,
            PRIMARY KEY (run_id, paper_id, source)
        );
        """,
    ),
    (
        2,
        "summaries, llm calls, batches",
        """
        CREATE TABLE summaries (
            paper_id TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            record TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, version, model, prompt_hash, schema_version)
        );
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER,
            paper_id TEXT,
            model TEXT NOT NULL,
            purpose TEXT NOT NULL DEFAULT 'summary',
            prompt_hash TEXT,
            schema_hash TEXT,
            options TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            duration_ms INTEGER,
            status TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX llm_calls_paper ON llm_calls(paper_id);
        CREATE TABLE batches (
            batch_id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            status TEXT NOT NULL,
            request_count INTEGER NOT NULL,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    ),
    (
        3,
        "issues, picks, history, email sends, tts calls",
        """
        CREATE TABLE issues (
            id TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE picks (
            paper_id TEXT NOT NULL,
            issue_id TEXT NOT NULL,
            picked INTEGER NOT NULL,
            origin TEXT NOT NULL DEFAULT 'pick',
            created_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, issue_id)
        );
        CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            paper_id TEXT,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            picked INTEGER NOT NULL DEFAULT 1,
            origin TEXT NOT NULL,
            imported_at TEXT NOT NULL
        );
        CREATE TABLE email_sends (
            issue_id TEXT NOT NULL,
            address TEXT NOT NULL,
            status TEXT NOT NULL,
            message_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (issue_id, address)
        );
        CREATE TABLE tts_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            engine TEXT NOT NULL,
            voice TEXT,
            chars INTEGER NOT NULL,
            audio_seconds REAL,
            duration_ms INTEGER,
            status TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        );
        """,
    ),
    (
        10,
        "llm calls: whether the tokens were estimated (the server reported no usage)",
        """
        ALTER TABLE llm_calls ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        30,
        "audio: tts call model, cost and issue",
        """
        ALTER TABLE tts_calls ADD COLUMN model TEXT;
        ALTER TABLE tts_calls ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
        ALTER TABLE tts_calls ADD COLUMN issue_id TEXT;
        CREATE INDEX tts_calls_issue ON tts_calls(issue_id);
        """,
    ),
    (
        40,
        "ranking: history dates, embeddings cache",
        """
        ALTER TABLE history ADD COLUMN added_at TEXT;
        CREATE TABLE embeddings (
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, text_hash)
        );
        CREATE INDEX picks_issue ON picks(issue_id);
        """,
    ),
    (
        41,
        "ranking: cached LLM relevance scores",
        """
        CREATE TABLE llm_relevance (
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            relevance INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, prompt_hash, text_hash)
        );
        """,
    ),
    (
        50,
        "pipeline: the frozen selection of each week's issue",
        """
        CREATE TABLE weekly (
            issue_id TEXT PRIMARY KEY,
            window TEXT NOT NULL,
            ranked TEXT NOT NULL,
            stage TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    ),
    (
        60,
        "channels: which notice went to which channel, so a rerun never posts twice",
        """
        CREATE TABLE channel_deliveries (
            issue_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            event TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (issue_id, channel, event)
        );
        """,
    ),
    (
        61,
        "history: the Zotero library's synced version and which item is which history row",
        """
        CREATE TABLE zotero_sync (
            library TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            scope TEXT NOT NULL,
            synced_at TEXT NOT NULL
        );
        CREATE TABLE zotero_items (
            library TEXT NOT NULL,
            item_key TEXT NOT NULL,
            history_key TEXT NOT NULL,
            PRIMARY KEY (library, item_key)
        );
        """,
    ),
]
