"""
Bulk import of statistics releases: millions of figures in one transaction.

The admin's import (django-import-export) previews a file row by row and is
right for the few hundred figures of a monthly release. A release of a
whole series, or a migration from another system, needs the same rules at
another scale: rows are checked in Python with the same parsers and rules
(period labels, units, qualifiers, shares within 0-100, regions within the
user's scope, as the publication policy decides), streamed into a
temporary table (COPY on PostgreSQL), and merged into the observations in
one statement. All or nothing: one bad row, a duplicate, or a row that
would change a figure that is not a draft (in review, published or
withdrawn), and nothing is written. Memory stays flat: rows are never all
held at once.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils.translation import gettext as _

from metrics.formatting import Qualifier
from metrics.importing import HEADER_ALIASES, QUALIFIER_WORDS, parse_figure
from metrics.models import Metric, Observation, PublicationState, Region, Source
from metrics.periods import Period
from metrics.workflow import policy
from metrics.workflow.policy import Step

MAX_REPORTED_ERRORS = 50
BATCH = 5000
TEMP_TABLE = "bulk_import_observation"
COLUMNS = [
    ("line", "integer"),
    ("metric_id", "bigint"),
    ("region_id", "bigint"),
    ("period_type", "varchar(16)"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("value", "numeric(24, 6)"),
    ("value_qualifier", "varchar(16)"),
    ("yoy_change", "numeric(9, 2)"),
    ("source_id", "bigint"),
    ("source_quote", "text"),
]


class BulkImportError(Exception):
    """The file was refused; nothing was written. `errors` lists (line, message)."""

    def __init__(self, errors: list[tuple[int, str]], total: int):
        self.errors = errors
        self.total = total
        super().__init__(f"{total} invalid row(s); nothing was imported")


@dataclass
class BulkImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class _Lookups:
    """Regions, metrics and sources by every name a release may use, read once."""

    def __init__(self):
        self.regions = {}
        for region in Region.objects.only("pk", "code", "name_en", "name_zh", "path"):
            for key in (region.code, region.name_en.lower(), region.name_zh):
                if key:
                    self.regions.setdefault(key, region)
        self.regions_by_pk = {region.pk: region for region in self.regions.values()}
        self.metrics = {}
        for metric in Metric.objects.canonical():
            for key in (metric.slug, metric.name_en.lower(), metric.name_zh):
                if key:
                    self.metrics.setdefault(key, metric)
        self.metrics_by_pk = {metric.pk: metric for metric in self.metrics.values()}
        self.sources = {}
        for source in Source.objects.canonical().only("pk", "slug", "title_en", "title_zh"):
            for key in (source.slug, source.title_en, source.title_zh):
                if key:
                    self.sources.setdefault(key, source)

    def may_create_in(self, user, region) -> bool:
        """
        The policy's answer to "may this account enter a figure here?", asked
        once per region: it depends on the account and the figure's region
        alone, and a release has thousands of rows per region.
        """
        cache = self.__dict__.setdefault("_may_create", {})
        if region.pk not in cache:
            cache[region.pk] = policy.can(user, Step.CREATE, Observation(region=region))
        return cache[region.pk]

    def region(self, text):
        text = str(text or "").strip()
        key = text.split()[0] if text[:6].isdigit() else text
        return self.regions.get(key) or self.regions.get(key.lower())

    def metric(self, text):
        text = str(text or "").strip()
        return self.metrics.get(text) or self.metrics.get(text.lower())


def read_rows(stream: io.TextIOBase) -> Iterator[dict]:
    """CSV rows keyed by the importer's column names, English or Chinese headers."""
    reader = csv.reader(stream)
    headers = next(reader, [])
    keys = [
        HEADER_ALIASES.get(h.strip().lower(), HEADER_ALIASES.get(h.strip())) or h.strip().lower()
        for h in headers
    ]
    for values in reader:
        yield dict(zip(keys, values, strict=False))


def check_row(row: dict, lookups: _Lookups, user) -> tuple[tuple, list[str]]:
    """The row as temporary-table values, and what is wrong with it (empty when nothing)."""
    problems = []
    region = lookups.region(row.get("region"))
    if region is None:
        problems.append(_("There is no region %(region)r.") % {"region": row.get("region")})
    metric = lookups.metric(row.get("metric"))
    if metric is None:
        problems.append(_("There is no metric %(metric)r.") % {"metric": row.get("metric")})
    period = None
    try:
        period = Period.parse(row.get("period"))
    except ValueError as error:
        problems.append(str(error))
    value = None
    qualifier = Qualifier.EXACT
    try:
        value, unit, qualifier = parse_figure(row.get("value"), row.get("unit", ""))
        if row.get("qualifier"):
            qualifier = QUALIFIER_WORDS.get(row["qualifier"].strip().lower(), row["qualifier"])
        if metric is not None and unit is not None and unit != metric.unit:
            message = _("%(metric)s is measured in %(unit)s.")
            problems.append(message % {"metric": metric.name, "unit": metric.get_unit_display()})
    except ValueError as error:
        problems.append(str(error))
    if qualifier not in Qualifier.values:
        problems.append(_("%(text)r is not a qualifier.") % {"text": qualifier})
    change = str(row.get("yoy_change") or "").strip().rstrip("%") or None
    if change is not None:
        try:
            change = Decimal(change)
        except InvalidOperation:
            problems.append(_("%(text)r is not a percentage.") % {"text": change})
    if value is None and change is None:
        problems.append(_("Enter a value, a year-on-year change, or both."))
    if value is None and qualifier != Qualifier.EXACT:
        problems.append(_("A qualifier applies to a value; enter the value."))
    if metric is not None and metric.is_share and value is not None and not 0 <= value <= 100:
        problems.append(_("A share of a whole lies between 0 and 100 percent."))
    source = None
    if row.get("source"):
        source = lookups.sources.get(row["source"].strip())
        if source is None:
            problems.append(_("There is no source %(source)r.") % {"source": row["source"]})
    if not problems and not lookups.may_create_in(user, region):
        figure = Observation(
            metric=metric,
            region=region,
            period_type=period.type,
            period_start=period.start,
            period_end=period.end,
        )
        problems.append(policy.refusal(user, Step.CREATE, figure))
    if problems:
        return (), problems
    return (
        metric.pk,
        region.pk,
        str(period.type),
        period.start,
        period.end,
        value,
        qualifier,
        change,
        source.pk if source else None,
        (row.get("quote") or "").strip(),
    ), []


def import_observations(rows: Iterable[dict], *, user, dry_run: bool = False) -> BulkImportResult:
    """
    Check every row, then write them all as drafts by `user` (new figures,
    or updates of the user's drafts), or none. Raises BulkImportError.
    """
    lookups = _Lookups()
    result = BulkImportResult()
    total_errors = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            _create_temp_table(cursor)
            batch = []
            for line, row in enumerate(rows, start=2):  # line 1 is the header
                result.rows += 1
                values, problems = check_row(row, lookups, user)
                if problems:
                    total_errors += 1
                    if len(result.errors) < MAX_REPORTED_ERRORS:
                        result.errors.append((line, " ".join(problems)))
                    continue
                batch.append((line, *values))
                if len(batch) >= BATCH:
                    _load(cursor, batch)
                    batch = []
            _load(cursor, batch)
            if not total_errors:
                total_errors = _check_against_the_table(cursor, result, lookups, user)
            if total_errors:
                raise BulkImportError(result.errors, total_errors)
            if dry_run:
                transaction.set_rollback(True)  # the temporary table goes with it
                return result
            result.created, result.updated = _merge(cursor, user)
            _drop_temp_table(cursor)
    return result


def _create_temp_table(cursor):
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {TEMP_TABLE} ({columns})")


def _drop_temp_table(cursor):
    cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")


def _load(cursor, batch):
    if not batch:
        return
    names = ", ".join(name for name, _kind in COLUMNS)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {TEMP_TABLE} ({names}) FROM STDIN") as copy:
            for values in batch:
                copy.write_row(values)
    else:
        marks = ", ".join(["%s"] * len(COLUMNS))
        cursor.executemany(f"INSERT INTO {TEMP_TABLE} ({names}) VALUES ({marks})", batch)


KEY = "metric_id, region_id, period_start, period_end"


def _check_against_the_table(cursor, result, lookups: _Lookups, user) -> int:
    """Duplicates within the file, and rows that would change figures the user may not edit."""
    cursor.execute(
        f"SELECT MIN(line), COUNT(*) FROM {TEMP_TABLE} GROUP BY {KEY} HAVING COUNT(*) > 1"
    )
    problems = [
        (line, _("The file has %(count)d rows for this figure.") % {"count": count})
        for line, count in cursor.fetchall()
    ]
    # Stored figures the rows would change: only drafts may change (the
    # policy's answer names the figure and says why not).
    cursor.execute(
        f"SELECT new.line, old.id, old.publication_state, new.metric_id, new.region_id, "
        "new.period_type, new.period_start, new.period_end "
        f"FROM {TEMP_TABLE} new JOIN metrics_observation old "
        "ON old.metric_id = new.metric_id AND old.region_id = new.region_id "
        "AND old.period_start = new.period_start AND old.period_end = new.period_end "
        "AND old.revision_of_id IS NULL WHERE old.publication_state <> %s",
        [PublicationState.DRAFT],
    )
    for line, pk, state, metric_id, region_id, period_type, start, end in cursor.fetchall():
        stored = Observation(
            pk=pk,
            publication_state=state,
            metric=lookups.metrics_by_pk[metric_id],
            region=lookups.regions_by_pk[region_id],
            period_type=period_type,
            period_start=start,
            period_end=end,
        )
        problems.append((line, policy.refusal(user, Step.EDIT, stored)))
    problems.sort()
    result.errors.extend(problems[: max(0, MAX_REPORTED_ERRORS - len(result.errors))])
    return len(problems)


def _merge(cursor, user) -> tuple[int, int]:
    """Insert new figures and update drafts in one statement each, the user among their authors."""
    cursor.execute(
        f"SELECT COUNT(*) FROM {TEMP_TABLE} new JOIN metrics_observation old "
        "ON old.metric_id = new.metric_id AND old.region_id = new.region_id "
        "AND old.period_start = new.period_start AND old.period_end = new.period_end "
        "AND old.revision_of_id IS NULL"
    )
    (updated,) = cursor.fetchone()
    fields = (
        "metric_id, region_id, period_type, period_start, period_end, value, value_qualifier, "
        "yoy_change, source_id, source_quote"
    )
    if connection.vendor == "postgresql":
        with_author = (
            "CASE WHEN metrics_observation.authors @> %s::jsonb THEN metrics_observation.authors "
            "ELSE metrics_observation.authors || %s::jsonb END"
        )
        author_params = [f"[{user.pk}]", f"[{user.pk}]"]
        new_authors = "%s::jsonb"
    else:
        with_author = (
            "CASE WHEN EXISTS (SELECT 1 FROM json_each(metrics_observation.authors) "
            "WHERE value = %s) THEN metrics_observation.authors "
            "ELSE json_insert(metrics_observation.authors, '$[#]', %s) END"
        )
        author_params = [user.pk, user.pk]
        new_authors = "%s"
    # Only drafts reach the update: the check above refused every other state.
    cursor.execute(
        f"INSERT INTO metrics_observation ({fields}, is_derived, derivation, note_en, note_zh, "
        "publication_state, published_at, lock_version, authors) "
        f"SELECT {fields}, %s, '', '', '', %s, NULL, 0, {new_authors} FROM {TEMP_TABLE} "
        "WHERE true "
        f"ON CONFLICT ({KEY}) WHERE revision_of_id IS NULL DO UPDATE SET "
        "period_type = EXCLUDED.period_type, value = EXCLUDED.value, "
        "value_qualifier = EXCLUDED.value_qualifier, yoy_change = EXCLUDED.yoy_change, "
        "source_id = EXCLUDED.source_id, source_quote = EXCLUDED.source_quote, "
        f"authors = {with_author}, lock_version = metrics_observation.lock_version + 1",
        [False, PublicationState.DRAFT, f"[{user.pk}]", *author_params],
    )
    total = cursor.rowcount
    return total - updated, updated
