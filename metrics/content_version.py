"""
The version of what the public sees, kept by the database.

Every statement that changes published content (a figure, a program or
one of its parts, a shared reference, a region, the public history, the
home page's warning count) raises one counter in the same transaction,
through triggers. The public page cache keys on that counter
(metrics.page_cache): nothing else moves it. Sessions, sign-in attempts,
logs, background jobs, review steps and drafts (a draft is not public)
never do, so what visitors or staff cause outside published content
leaves every cached page valid.

Each app installs the triggers of its own tables (a migration calls
`create_triggers` with its tables and the condition under which a changed
row is public). SQLite drops a table's triggers when a migration rebuilds
the table: such a migration calls `drop_triggers` first and
`create_triggers` last, as for the other triggers.
"""

from metrics.db_triggers import run_for_vendor

# One more, or, when the row is missing (a `flush` before a restore), a
# start in microseconds since 1970: above any version counted before, so a
# page cached under an earlier count is never taken for current content.
BUMP = (
    "INSERT INTO metrics_contentversion (id, version) VALUES (1, {start}) "
    "ON CONFLICT (id) DO UPDATE SET version = metrics_contentversion.version + 1"
)
START = {
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
    "postgresql": "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
}
# Conditions on a changed row (`r`) under which the public sees the change.
ALWAYS = "TRUE"
PUBLISHED = "r.publication_state = 'published'"
PROGRAM_PUBLISHED = (
    "r.program_id IN (SELECT id FROM programs_program WHERE publication_state = 'published')"
)


ACTIVITY_PUBLISHED = (
    "r.activity_id IN (SELECT a.id FROM programs_activity a JOIN programs_program p "
    "ON p.id = a.program_id WHERE p.publication_state = 'published')"
)


def _sqlite(table: str, condition: str) -> tuple[list[str], list[str]]:
    forward, reverse = [], []
    for event, rows in (("INSERT", ["NEW"]), ("DELETE", ["OLD"]), ("UPDATE", ["OLD", "NEW"])):
        name = f"{table}_content_version_{event.lower()}"
        when = " OR ".join(f"({condition.replace('r.', f'{row}.')})" for row in rows)
        when = when.replace("(TRUE)", "1")
        forward.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
            f"WHEN {when} BEGIN {BUMP.format(start=START['sqlite'])}; END"
        )
        reverse.append(f"DROP TRIGGER IF EXISTS {name}")
    return forward, reverse


def _postgresql(table: str, condition: str) -> tuple[list[str], list[str]]:
    # Once per statement, over the rows it changed (a transition table):
    # a COPY of a million draft figures costs one probe, not a million.
    function = f"{table}_content_version"
    forward = [
        f"""
        CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM changed r WHERE {condition}) THEN
                {BUMP.format(start=START["postgresql"])};
            END IF;
            RETURN NULL;
        END $$
        """
    ]
    reverse = []
    for event, transition in (
        ("insert", "NEW"),
        ("delete", "OLD"),
        ("update_old", "OLD"),
        ("update_new", "NEW"),
    ):
        name = f"{table}_content_version_{event}"
        forward.append(
            f"CREATE TRIGGER {name} AFTER {event.split('_')[0].upper()} ON {table} "
            f"REFERENCING {transition} TABLE AS changed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
        reverse.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    reverse.append(f"DROP FUNCTION IF EXISTS {function}()")
    return forward, reverse


def statements(tables: dict[str, str]) -> dict[str, tuple[list[str], list[str]]]:
    """{vendor: (forward, reverse)} for `{table: condition}`."""
    written = {}
    for vendor, build in (("sqlite", _sqlite), ("postgresql", _postgresql)):
        forward, reverse = [], []
        for table, condition in tables.items():
            more_forward, more_reverse = build(table, condition)
            forward += more_forward
            reverse += more_reverse
        written[vendor] = (forward, reverse)
    return written


def create_triggers(tables: dict[str, str]):
    """A RunPython function installing the triggers of `{table: condition}`."""

    def create(apps, schema_editor):
        run_for_vendor(schema_editor, statements(tables), forward=True)

    return create


def drop_triggers(tables: dict[str, str]):
    def drop(apps, schema_editor):
        run_for_vendor(schema_editor, statements(tables), forward=False)

    return drop


METRICS_TABLES = {
    "metrics_region": ALWAYS,
    "metrics_source": PUBLISHED,
    "metrics_metric": PUBLISHED,
    "metrics_observation": PUBLISHED,
    "metrics_validationrule": PUBLISHED,
    "metrics_publishedversion": ALWAYS,
    "metrics_qualitycheck": ALWAYS,
}
# Added after the first triggers (migration 0011), with the table.
OUTLINE_TABLES = {"metrics_regionoutline": ALWAYS}
# Problem reports (migration 0017): the public sees a report only once staff
# have answered it, so a reader's new report (no answer) never moves the
# version, and an answer, or a change to an answered report, always does.
REPORT_TABLES = {"metrics_problemreport": "(r.answer_en <> '' OR r.answer_zh <> '')"}
