"""Numbered schema migrations, applied in order and recorded in ``migrations``.

Never edit a migration that has shipped; add a new one. Number ranges by area keep
parallel work from colliding: 1-9 core, 10-19 summaries/LLM, 20-29 issue/exports,
30-39 audio, 40-49 ranking, 50-59 pipeline, 60-69 search and the web app.
"""

from __future__ import annotations


def _authors(data: str) -> str:
    """SQL: the author names of a paper's stored JSON, comma-separated."""
    return (
        "COALESCE((SELECT group_concat(json_extract(a.value, '$.name'), ', ') "
        f"FROM json_each({data}, '$.authors') a), '')"
    )


def _summary_text(record: str) -> str:
    """SQL: the words of a stored SummaryRecord (its five sections and keywords)."""
    fields = ("tldr", "method", "results", "critiques", "implications")
    parts = [f"COALESCE(json_extract({record}, '$.summary.{name}'), '')" for name in fields]
    keywords = (
        "COALESCE((SELECT group_concat(k.value, ', ') "
        f"FROM json_each({record}, '$.summary.keywords') k), '')"
    )
    return " || ' ' || ".join([*parts, keywords])


def _latest_summary(paper_id: str) -> str:
    """SQL: the text of the newest summary of a paper (under its id or an alias), or ''."""
    return (
        f"COALESCE((SELECT {_summary_text('s.record')} FROM summaries s "
        f"WHERE s.paper_id = {paper_id} OR s.paper_id IN "
        f"(SELECT alias FROM paper_aliases WHERE paper_id = {paper_id}) "
        "ORDER BY s.created_at DESC LIMIT 1), '')"
    )


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
        42,
        "ranking: history batches (the paper's date, when it was screened and first shown)",
        """
        ALTER TABLE history ADD COLUMN paper_date TEXT;
        ALTER TABLE history ADD COLUMN screened_on TEXT;
        ALTER TABLE history ADD COLUMN shown_on TEXT;
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
        "search: full-text index over papers and their summaries; categories by paper",
        f"""
        CREATE VIRTUAL TABLE paper_search USING fts5(
            title, authors, abstract, summary,
            tokenize = 'porter unicode61 remove_diacritics 2'
        );
        INSERT INTO paper_search (rowid, title, authors, abstract, summary)
            SELECT p.rowid, p.title, {_authors("p.data")}, p.abstract, {_latest_summary("p.id")}
            FROM papers p;
        CREATE TABLE paper_categories (
            paper_id TEXT NOT NULL,
            category TEXT NOT NULL,
            PRIMARY KEY (paper_id, category)
        ) WITHOUT ROWID;
        CREATE INDEX paper_categories_category ON paper_categories(category);
        INSERT OR IGNORE INTO paper_categories (paper_id, category)
            SELECT p.id, c.value FROM papers p, json_each(p.data, '$.categories') c;
        CREATE TRIGGER paper_categories_insert AFTER INSERT ON papers BEGIN
            INSERT OR IGNORE INTO paper_categories (paper_id, category)
            SELECT new.id, c.value FROM json_each(new.data, '$.categories') c;
        END;
        CREATE TRIGGER paper_categories_update AFTER UPDATE OF data ON papers BEGIN
            DELETE FROM paper_categories WHERE paper_id = old.id;
            INSERT OR IGNORE INTO paper_categories (paper_id, category)
            SELECT new.id, c.value FROM json_each(new.data, '$.categories') c;
        END;
        CREATE TRIGGER paper_categories_delete AFTER DELETE ON papers BEGIN
            DELETE FROM paper_categories WHERE paper_id = old.id;
        END;
        CREATE TRIGGER paper_search_insert AFTER INSERT ON papers BEGIN
            INSERT INTO paper_search (rowid, title, authors, abstract, summary)
            VALUES (new.rowid, new.title, {_authors("new.data")}, new.abstract,
                    {_latest_summary("new.id")});
        END;
        CREATE TRIGGER paper_search_update AFTER UPDATE OF title, abstract, data ON papers BEGIN
            UPDATE paper_search SET title = new.title, authors = {_authors("new.data")},
                abstract = new.abstract
            WHERE rowid = new.rowid;
        END;
        CREATE TRIGGER paper_search_delete AFTER DELETE ON papers BEGIN
            DELETE FROM paper_search WHERE rowid = old.rowid;
        END;
        CREATE TRIGGER paper_search_summary AFTER INSERT ON summaries BEGIN
            UPDATE paper_search SET summary = {_summary_text("new.record")}
            WHERE rowid = (SELECT p.rowid FROM papers p WHERE p.id = COALESCE(
                (SELECT a.paper_id FROM paper_aliases a WHERE a.alias = new.paper_id),
                new.paper_id));
        END;
        """,
    ),
    (
        51,
        "pipeline: the frozen selection as rows (a pick changes one row, a page reads 50)",
        """
        CREATE TABLE weekly_refs (
            issue_id TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            score REAL NOT NULL,
            why TEXT NOT NULL DEFAULT '',
            picked INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (issue_id, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX weekly_refs_position ON weekly_refs(issue_id, position);
        CREATE INDEX weekly_refs_rank ON weekly_refs(issue_id, score DESC, position);
        CREATE INDEX weekly_refs_paper ON weekly_refs(paper_id);
        INSERT OR IGNORE INTO weekly_refs (issue_id, paper_id, position, score, why, picked)
            SELECT w.issue_id, json_extract(r.value, '$.id'), CAST(r.key AS INTEGER),
                   json_extract(r.value, '$.score'),
                   COALESCE(json_extract(r.value, '$.why'), ''),
                   COALESCE(json_extract(r.value, '$.picked'), 0)
            FROM weekly w, json_each(w.ranked) r;
        ALTER TABLE weekly DROP COLUMN ranked;
        """,
    ),
    (
        57,
        "audio: words spoken per tts call, for the measured speaking rate",
        """
        ALTER TABLE tts_calls ADD COLUMN words INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        20,
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
        43,
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
