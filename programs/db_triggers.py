"""
Sort keys of the program list, kept by the database.

The public list sorts programs by their number of outcomes, by the highest
region they cover and by the name of their lead organisation. Computed per
request, each sort reads every program's outcomes, regions or organisation
before it can show the first page; stored on the program, each is one
index read. The database keeps them, so every way of writing (the admin,
reverts, fixtures, COPY) leaves them right:

- whenever a program row is written, its keys are computed from its
  outcomes, regions and lead organisation (whatever the writer sent is
  replaced);
- whenever outcomes or region links change, or an organisation is renamed,
  the programs concerned are rewritten, which computes the keys again.

The region key is the smallest GB/T 2260 code among the program's regions:
a child's code extends its parent's, so code order is tree order.

SQLite drops a table's triggers when a migration rebuilds it, so a
migration that alters one of these tables calls `drop_sort_key_triggers`
first and `create_sort_key_triggers` last.
"""

from metrics.db_triggers import run_for_vendor

OUTCOME_COUNT = "(SELECT COUNT(*) FROM programs_outcome WHERE program_id = {id})"
REGION_KEY = (
    "COALESCE((SELECT MIN(metrics_region.code) FROM programs_program_regions "
    "JOIN metrics_region ON metrics_region.id = programs_program_regions.region_id "
    "WHERE programs_program_regions.program_id = {id}), '')"
)
LEAD_NAME = "(SELECT name_{language} FROM programs_organisation WHERE id = {organisation_id})"
CHILD_TABLES = ("programs_outcome", "programs_program_regions")


def _sqlite_recompute(program_id):
    names = ", ".join(
        f"lead_organisation_name_{language} = "
        + LEAD_NAME.format(
            language=language, organisation_id="programs_program.lead_organisation_id"
        )
        for language in ("en", "zh")
    )
    return (
        f"UPDATE programs_program SET outcome_count = {OUTCOME_COUNT.format(id=program_id)}, "
        f"region_sort_key = {REGION_KEY.format(id=program_id)}, {names} "
        f"WHERE id = {program_id};"
    )


# SQLite cannot change NEW in a trigger: the row is rewritten after the
# write instead (recursive triggers are off, so this does not loop).
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER programs_program_sort_keys_{event.lower()}
    AFTER {event} ON programs_program
    BEGIN {_sqlite_recompute("NEW.id")} END
    """
    for event in ("INSERT", "UPDATE")
]
for table in CHILD_TABLES:
    SQLITE_FORWARD += [
        f"CREATE TRIGGER {table}_sort_keys_insert AFTER INSERT ON {table} "
        f"BEGIN {_sqlite_recompute('NEW.program_id')} END",
        f"CREATE TRIGGER {table}_sort_keys_delete AFTER DELETE ON {table} "
        f"BEGIN {_sqlite_recompute('OLD.program_id')} END",
        f"CREATE TRIGGER {table}_sort_keys_update AFTER UPDATE OF program_id ON {table} "
        f"BEGIN {_sqlite_recompute('OLD.program_id')} {_sqlite_recompute('NEW.program_id')} END",
    ]
SQLITE_FORWARD.append(
    "CREATE TRIGGER programs_organisation_sort_keys AFTER UPDATE OF name_en, name_zh "
    "ON programs_organisation BEGIN UPDATE programs_program SET outcome_count = outcome_count "
    "WHERE lead_organisation_id = NEW.id; END"
)
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS programs_program_sort_keys_insert",
    "DROP TRIGGER IF EXISTS programs_program_sort_keys_update",
    "DROP TRIGGER IF EXISTS programs_organisation_sort_keys",
] + [
    f"DROP TRIGGER IF EXISTS {table}_sort_keys_{event}"
    for table in CHILD_TABLES
    for event in ("insert", "delete", "update")
]

# On PostgreSQL the program's own row trigger sets the keys before the row is
# written; changes to outcomes and links touch their programs once per
# statement (a transition table), so a COPY of links pays one UPDATE.
POSTGRESQL_FORWARD = [
    f"""
    CREATE FUNCTION programs_program_sort_keys() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.outcome_count := {OUTCOME_COUNT.format(id="NEW.id")};
        NEW.region_sort_key := {REGION_KEY.format(id="NEW.id")};
        NEW.lead_organisation_name_en := {
        LEAD_NAME.format(language="en", organisation_id="NEW.lead_organisation_id")
    };
        NEW.lead_organisation_name_zh := {
        LEAD_NAME.format(language="zh", organisation_id="NEW.lead_organisation_id")
    };
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER programs_program_sort_keys
    BEFORE INSERT OR UPDATE ON programs_program
    FOR EACH ROW EXECUTE FUNCTION programs_program_sort_keys()
    """,
    """
    CREATE FUNCTION programs_touch_programs() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE programs_program SET outcome_count = outcome_count
        WHERE id IN (SELECT program_id FROM changed);
        RETURN NULL;
    END $$
    """,
]
for table in CHILD_TABLES:
    for event, transition in (
        ("insert", "NEW"),
        ("delete", "OLD"),
        ("update_old", "OLD"),
        ("update_new", "NEW"),
    ):
        POSTGRESQL_FORWARD.append(
            f"CREATE TRIGGER {table}_sort_keys_{event} "
            f"AFTER {event.split('_')[0].upper()} ON {table} "
            f"REFERENCING {transition} TABLE AS changed "
            "FOR EACH STATEMENT EXECUTE FUNCTION programs_touch_programs()"
        )
POSTGRESQL_FORWARD += [
    """
    CREATE FUNCTION programs_touch_led_programs() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE programs_program SET outcome_count = outcome_count
        WHERE lead_organisation_id IN (SELECT id FROM changed);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER programs_organisation_sort_keys
    AFTER UPDATE ON programs_organisation REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION programs_touch_led_programs()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS programs_organisation_sort_keys ON programs_organisation",
    "DROP FUNCTION IF EXISTS programs_touch_led_programs()",
    "DROP TRIGGER IF EXISTS programs_program_sort_keys ON programs_program",
    "DROP FUNCTION IF EXISTS programs_program_sort_keys()",
] + [
    f"DROP TRIGGER IF EXISTS {table}_sort_keys_{event} ON {table}"
    for table in CHILD_TABLES
    for event in ("insert", "delete", "update_old", "update_new")
]
POSTGRESQL_REVERSE.append("DROP FUNCTION IF EXISTS programs_touch_programs()")

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_REVERSE),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_REVERSE),
}


def create_sort_key_triggers(apps, schema_editor):
    # Other databases sort by whatever keys were last computed.
    if run_for_vendor(schema_editor, STATEMENTS, forward=True):
        # Programs that exist already get their keys: rewriting a row computes them.
        schema_editor.execute("UPDATE programs_program SET outcome_count = outcome_count")


def drop_sort_key_triggers(apps, schema_editor):
    run_for_vendor(schema_editor, STATEMENTS, forward=False)
