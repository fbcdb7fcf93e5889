"""
Shares of a whole lie between 0 and 100, enforced by the database.

Whether a metric is a share lives on the metric, so a CHECK constraint on
the observation cannot see it; a trigger can. Observation.clean() gives the
same rule as a form error before the database is asked.

SQLite drops a table's triggers when a migration rebuilds the table (as it
does to change a constraint), so a migration that alters the observation
or metric table calls `drop_share_bounds_triggers` first and
`create_share_bounds_triggers` last.
"""

MESSAGE = "observation_share_between_0_and_100: a share of a whole lies between 0 and 100"

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER metrics_observation_share_bounds_{event.lower().replace(" ", "_")}
    BEFORE {event} ON metrics_observation
    WHEN NEW.value IS NOT NULL AND (NEW.value < 0 OR NEW.value > 100)
        AND (SELECT is_share FROM metrics_metric WHERE id = NEW.metric_id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """
    for event in ("INSERT", "UPDATE")
] + [
    f"""
    CREATE TRIGGER metrics_metric_share_bounds
    BEFORE UPDATE OF is_share ON metrics_metric
    WHEN NEW.is_share AND EXISTS (
        SELECT 1 FROM metrics_observation
        WHERE metric_id = NEW.id AND value IS NOT NULL AND (value < 0 OR value > 100)
    )
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS metrics_observation_share_bounds_insert",
    "DROP TRIGGER IF EXISTS metrics_observation_share_bounds_update",
    "DROP TRIGGER IF EXISTS metrics_metric_share_bounds",
]

# On PostgreSQL the observation check runs once per statement over the rows
# it wrote (a transition table), not once per row: a COPY of a million
# figures pays for one join instead of a million function calls.
POSTGRESQL_FORWARD = [
    f"""
    CREATE FUNCTION metrics_observation_share_bounds() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM written JOIN metrics_metric ON metrics_metric.id = written.metric_id
            WHERE metrics_metric.is_share AND written.value IS NOT NULL
                AND (written.value < 0 OR written.value > 100)
        ) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER metrics_observation_share_bounds_insert
    AFTER INSERT ON metrics_observation REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION metrics_observation_share_bounds()
    """,
    """
    CREATE TRIGGER metrics_observation_share_bounds_update
    AFTER UPDATE ON metrics_observation REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION metrics_observation_share_bounds()
    """,
    f"""
    CREATE FUNCTION metrics_metric_share_bounds() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.is_share AND EXISTS (
            SELECT 1 FROM metrics_observation
            WHERE metric_id = NEW.id AND value IS NOT NULL AND (value < 0 OR value > 100)
        ) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER metrics_metric_share_bounds
    BEFORE UPDATE OF is_share ON metrics_metric
    FOR EACH ROW EXECUTE FUNCTION metrics_metric_share_bounds()
    """,
]
POSTGRESQL_REVERSE = [
    # Row-level trigger of the first version, then the statement-level ones.
    "DROP TRIGGER IF EXISTS metrics_observation_share_bounds ON metrics_observation",
    "DROP TRIGGER IF EXISTS metrics_observation_share_bounds_insert ON metrics_observation",
    "DROP TRIGGER IF EXISTS metrics_observation_share_bounds_update ON metrics_observation",
    "DROP FUNCTION IF EXISTS metrics_observation_share_bounds()",
    "DROP TRIGGER IF EXISTS metrics_metric_share_bounds ON metrics_metric",
    "DROP FUNCTION IF EXISTS metrics_metric_share_bounds()",
]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_REVERSE),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_REVERSE),
}


def run_for_vendor(schema_editor, statements, *, forward) -> bool:
    """
    Run the forward or reverse statements written for this database
    (`{vendor: (forward, reverse)}`); False where none are written.
    """
    if (written := statements.get(schema_editor.connection.vendor)) is None:
        return False
    for statement in written[0 if forward else 1]:
        schema_editor.execute(statement, params=None)
    return True


def create_share_bounds_triggers(apps, schema_editor):
    # Other databases rely on Observation.clean() alone.
    run_for_vendor(schema_editor, STATEMENTS, forward=True)


def drop_share_bounds_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, STATEMENTS, forward=False)
