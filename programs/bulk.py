"""
Everything published, in one zip: a CSV per table and a datapackage.json
(Frictionless Data) with the licence, the sources and when it was made.

The zip is written as it is sent, table by table, reading rows in chunks,
so its size does not bound the memory it takes.
"""

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from metrics.exports import CHUNK_SIZE, safe_cell
from metrics.models import (
    Metric,
    Observation,
    PublishedVersion,
    Region,
    Source,
    open_warnings,
)
from programs.models import Activity, Organisation, Outcome, Partnership, Program, ProgramSource

ROWS_PER_FLUSH = 5000


def revision_columns(record_column: str, record_path: str) -> list[tuple[str, str]]:
    """An earlier published version: the record, its content (JSON), when and why."""
    return [
        (record_column, record_path),
        ("published_at", "published_at"),
        ("replaced_at", "replaced_at"),
        ("reason", "reason"),
        ("note", "note"),
        ("content", "content"),
    ]


@dataclass
class Table:
    name: str
    description: str  # lazily translated: the downloads page shows it in the reader's language
    columns: list[tuple[str, str]]  # (column name, ORM path)
    queryset: object

    def rows(self) -> Iterator[tuple]:
        paths = [path for _name, path in self.columns]
        return self.queryset.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)


@dataclass
class ComputedTable:
    """A table whose rows are worked out rather than read: columns name keys of each row."""

    name: str
    description: str
    columns: list[tuple[str, str]]  # (column name, key of the row)
    produce: Callable[[], Iterator[dict]]

    def rows(self) -> Iterator[tuple]:
        keys = [key for _name, key in self.columns]
        for row in self.produce():
            yield tuple(row[key] for key in keys)


def warning_rows() -> Iterator[dict]:
    """One row per open warning and figure it involves, naming the figures it involves."""
    for pk, warning in open_warnings():
        others = [other for other in warning["observations"] if other != pk]
        yield {"observation_id": pk, **warning, "observations": " ".join(map(str, others))}


def published_tables() -> list[Table | ComputedTable]:
    programs = Program.objects.published()
    observations = Observation.objects.published()
    organisations = Organisation.objects.shown_publicly()
    return [
        Table(
            "regions",
            _("Administrative divisions with GB/T 2260 codes."),
            [
                ("code", "code"),
                ("name_en", "name_en"),
                ("name_zh", "name_zh"),
                ("level", "level"),
                ("parent_code", "parent__code"),
            ],
            Region.objects.order_by("path"),
        ),
        Table(
            "metrics",
            _("Indicators with published figures; values are in base units (yuan, not billions)."),
            [
                ("slug", "slug"),
                ("name_en", "name_en"),
                ("name_zh", "name_zh"),
                ("definition_en", "definition_en"),
                ("definition_zh", "definition_zh"),
                ("unit", "unit"),
                ("display_scale", "display_scale"),
                ("frequency", "frequency"),
                ("is_cumulative", "is_cumulative"),
                ("is_share", "is_share"),
                ("direction", "direction"),
                ("category", "category"),
                ("bases", "bases"),
            ],
            Metric.objects.with_published_data().order_by("slug"),
        ),
        Table(
            "observations",
            _("Published figures, each with the sentence of its source."),
            [
                ("id", "pk"),
                ("metric", "metric__slug"),
                ("region_code", "region__code"),
                ("period_type", "period_type"),
                ("period_start", "period_start"),
                ("period_end", "period_end"),
                ("value", "value"),
                ("value_qualifier", "value_qualifier"),
                ("yoy_change_percent", "yoy_change"),
                ("basis", "basis"),
                ("basis_note", "basis_note"),
                ("source", "source__slug"),
                ("source_quote", "source_quote"),
                ("published_at", "published_at"),
                ("revised_at", "revised_at"),
            ],
            observations.order_by("metric__slug", "region__code", "period_end", "pk"),
        ),
        ComputedTable(
            "warnings",
            _(
                "Open data-quality warnings: each rule a published figure takes part in breaking, "
                "with its message in English and Chinese and the other figures involved "
                "(observation ids, space-separated)."
            ),
            [
                ("observation_id", "observation_id"),
                ("rule", "rule"),
                ("kind", "kind"),
                ("message_en", "message_en"),
                ("message_zh", "message_zh"),
                ("other_observations", "observations"),
            ],
            warning_rows,
        ),
        Table(
            "sources",
            _("Publications cited by published figures and programs."),
            [
                ("slug", "slug"),
                ("title_en", "title_en"),
                ("title_zh", "title_zh"),
                ("publisher", "publisher"),
                ("url", "url"),
                ("published_on", "published_on"),
            ],
            Source.objects.cited_publicly().order_by("slug"),
        ),
        Table(
            "organisations",
            _("Organisations that lead or partner published programs."),
            [
                ("slug", "slug"),
                ("name_en", "name_en"),
                ("name_zh", "name_zh"),
                ("kind", "kind"),
                ("parent", "parent__slug"),
                ("region_code", "region__code"),
                ("website", "website"),
            ],
            organisations.order_by("slug"),
        ),
        Table(
            "programs",
            _("Published programs."),
            [
                ("slug", "slug"),
                ("title_en", "title_en"),
                ("title_zh", "title_zh"),
                ("kind", "kind"),
                ("status", "status"),
                ("summary_en", "summary_en"),
                ("summary_zh", "summary_zh"),
                ("lead_organisation", "lead_organisation__slug"),
                ("official_role", "official_role"),
                ("responsible_official_en", "responsible_official_en"),
                ("official_title_en", "official_title_en"),
                ("start_date", "start_date"),
                ("end_date", "end_date"),
                ("budget_yuan", "budget_yuan"),
                ("published_at", "published_at"),
                ("bases", "bases"),
            ],
            programs.order_by("slug"),
        ),
        Table(
            "program_regions",
            _("Regions each published program runs in."),
            [("program", "program__slug"), ("region_code", "region__code")],
            Program.regions.through.objects.filter(program__in=programs).order_by(
                "program__slug", "region__code"
            ),
        ),
        Table(
            "partnerships",
            _("Partners of published programs and their roles."),
            [
                ("program", "program__slug"),
                ("organisation", "organisation__slug"),
                ("role", "role"),
                ("role_detail_en", "role_detail_en"),
                ("bases", "bases"),
            ],
            Partnership.objects.filter(program__in=programs).order_by("program__slug", "pk"),
        ),
        Table(
            "outcomes",
            _("What published programs aim to move, from baseline to target."),
            [
                ("program", "program__slug"),
                ("metric", "metric__slug"),
                ("region_code", "region__code"),
                ("effect", "effect"),
                ("baseline_value", "baseline_value"),
                ("baseline_period_start", "baseline_period_start"),
                ("baseline_period_end", "baseline_period_end"),
                ("target_value", "target_value"),
                ("target_date", "target_date"),
                ("bases", "bases"),
            ],
            Outcome.objects.filter(program__in=programs).order_by("program__slug", "pk"),
        ),
        Table(
            "activities",
            _("What published programs did."),
            [
                ("program", "program__slug"),
                ("kind", "kind"),
                ("title_en", "title_en"),
                ("title_zh", "title_zh"),
                ("start_date", "start_date"),
                ("end_date", "end_date"),
                ("event_count", "event_count"),
                ("participants_en", "participants_en"),
                ("source", "source__slug"),
                ("source_quote", "source_quote"),
            ],
            Activity.objects.filter(program__in=programs).order_by("program__slug", "start_date"),
        ),
        Table(
            "observation_revisions",
            _("Earlier published values of published figures, replaced by reviewed corrections."),
            revision_columns("observation_id", "object_id"),
            PublishedVersion.objects.for_model(Observation)
            .filter(object_id__in=observations.values("pk"))
            .order_by("object_id", "replaced_at", "pk"),
        ),
        Table(
            "program_revisions",
            _(
                "Earlier published versions of published programs, replaced by reviewed "
                "corrections."
            ),
            revision_columns("program", "program_slug"),
            PublishedVersion.objects.for_model(Program)
            .filter(object_id__in=programs.values("pk"))
            .annotate(
                program_slug=Subquery(
                    Program.objects.filter(pk=OuterRef("object_id")).values("slug")
                )
            )
            .order_by("program_slug", "replaced_at", "pk"),
        ),
        Table(
            "program_sources",
            _("Sources published programs cite, with the sentence they rest on."),
            [("program", "program__slug"), ("source", "source__slug"), ("quote", "quote")],
            ProgramSource.objects.filter(program__in=programs).order_by("program__slug", "pk"),
        ),
    ]


def _cell_text(value):
    """JSON content (an earlier version's fields) as JSON text; anything else as it is."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def datapackage(tables: list[Table | ComputedTable]) -> dict:
    """The Frictionless Data descriptor of the zip, in English whoever asks."""
    with translation.override("en"):
        return _descriptor(tables)


def _descriptor(tables: list[Table | ComputedTable]) -> dict:
    return {
        "name": "commerce-programs-open-data",
        "title": "Commerce programs and outcome figures (published records)",
        "created": timezone.now().isoformat(timespec="seconds"),
        "licenses": [{"name": settings.OPEN_DATA_LICENCE}],
        "description": (
            "Published programs of the Shanxi Department of Commerce and the published figures "
            "that follow them. Quoted sentences remain the work of their publishers, listed "
            "under sources. A figure's basis says whether its source states it (quoted), it was "
            "worked out from stated figures (derived) or it is the department's reading "
            "(inferred), with basis_note holding the working or the reasoning; the bases "
            "columns say the same of a record's other statements, as JSON: "
            '{"statement": {"basis": ..., "note": ..., "source": ...}}. The warnings '
            "table lists the figures that disagree with others under the department's "
            "published data-quality rules, as the public pages flag them."
        ),
        "sources": [
            {
                "title": source.title_en,
                "publisher": source.publisher,
                "path": source.url,
                "published_on": source.published_on.isoformat(),
            }
            for source in Source.objects.cited_publicly().order_by("slug")
        ],
        "resources": [
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "description": str(table.description),
                "schema": {"fields": [{"name": name} for name, _path in table.columns]},
            }
            for table in tables
        ],
    }


class _Sink:
    """A write-only file that keeps what is written until it is taken away."""

    def __init__(self):
        self.buffer = io.BytesIO()

    def write(self, data):
        return self.buffer.write(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return data


def zip_chunks() -> Iterator[bytes]:
    """The bytes of the open-data zip, as they are produced."""
    tables = published_tables()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("datapackage.json", "w") as entry:
            entry.write(json.dumps(datapackage(tables), ensure_ascii=False, indent=2).encode())
        yield sink.take()
        for table in tables:
            with archive.open(f"{table.name}.csv", "w", force_zip64=True) as entry:
                text = io.TextIOWrapper(entry, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow([name for name, _path in table.columns])
                for count, row in enumerate(table.rows(), start=1):
                    writer.writerow([safe_cell(_cell_text(cell)) for cell in row])
                    if count % ROWS_PER_FLUSH == 0:
                        text.flush()
                        yield sink.take()
                text.flush()
                text.detach()
            yield sink.take()
    yield sink.take()
