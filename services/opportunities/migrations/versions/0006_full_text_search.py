"""full-text search: on PostgreSQL a generated tsvector (title, skills, description; english stemming) with a GIN
index; on SQLite an FTS5 table with the porter tokenizer, kept in step with the opportunities by triggers

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FTS_COLUMNS = "title, skills, description"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE opportunities ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(skills::text, '')), 'B') || "
            "setweight(to_tsvector('english', coalesce(description, '')), 'C')) STORED"
        )
        op.execute("CREATE INDEX ix_opportunities_search ON opportunities USING gin (search_vector)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE opportunities_fts USING fts5("
        f"opportunity_id UNINDEXED, {FTS_COLUMNS}, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"INSERT INTO opportunities_fts (opportunity_id, {FTS_COLUMNS}) SELECT id, {FTS_COLUMNS} FROM opportunities"
    )
    op.execute(
        "CREATE TRIGGER opportunities_fts_insert AFTER INSERT ON opportunities BEGIN "
        f"INSERT INTO opportunities_fts (opportunity_id, {FTS_COLUMNS}) "
        "VALUES (new.id, new.title, new.skills, new.description); END"
    )
    op.execute(
        f"CREATE TRIGGER opportunities_fts_update AFTER UPDATE OF id, {FTS_COLUMNS} ON opportunities BEGIN "
        "DELETE FROM opportunities_fts WHERE opportunity_id = old.id; "
        f"INSERT INTO opportunities_fts (opportunity_id, {FTS_COLUMNS}) "
        "VALUES (new.id, new.title, new.skills, new.description); END"
    )
    op.execute(
        "CREATE TRIGGER opportunities_fts_delete AFTER DELETE ON opportunities BEGIN "
        "DELETE FROM opportunities_fts WHERE opportunity_id = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_opportunities_search")
        op.execute("ALTER TABLE opportunities DROP COLUMN search_vector")
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER opportunities_fts_{trigger}")
    op.execute("DROP TABLE opportunities_fts")
