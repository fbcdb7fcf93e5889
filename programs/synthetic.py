"""
Large synthetic data sets for scale tests, clearly marked as synthetic.

Everything made here says so: slugs start with "synthetic-", names end with
"(synthetic)", and every figure cites the "Synthetic data generator" source
with the quote "Synthetic figure for scale tests; not real data." The same
seed gives the same data. PostgreSQL is filled with COPY (psycopg 3),
other databases with bulk_create.
"""

import random
import time
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from itertools import islice

from django.db import connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from metrics.formatting import DisplayScale, Unit
from metrics.models import Metric, Observation, PublicationState, Region, Source
from metrics.periods import Period
from programs.models import Activity, Organisation, Outcome, Partnership, Program, Sector

PREFIX = "synthetic-"
MARK = "(synthetic)"
QUOTE = "Synthetic figure for scale tests; not real data."
BATCH = 5000
FIRST_YEAR, LAST_YEAR = 1990, 2025
COUNTIES_PER_PREFECTURE = 10
SYNTHETIC_METRICS = 40
PLATFORMS = 40


def chunks(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(model, fields: list[str], rows: Iterable[tuple]) -> int:
    """Insert many rows: COPY on PostgreSQL, bulk_create elsewhere."""
    count = 0
    if connection.vendor == "postgresql":
        columns = ", ".join(model._meta.get_field(name).column for name in fields)
        json_columns = {
            i
            for i, name in enumerate(fields)
            if isinstance(model._meta.get_field(name), models.JSONField)
        }
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    if json_columns:  # psycopg adapts the rest in C; JSON must be said
                        row = [Jsonb(v) if i in json_columns else v for i, v in enumerate(row)]
                    copy.write_row(row)
                    count += 1
        return count
    attnames = [model._meta.get_field(name).attname for name in fields]
    for batch in chunks(rows):
        model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in batch])
        count += len(batch)
    return count


class SyntheticData:
    """Makes `programs` programs and `observations` figures from one seed."""

    def __init__(self, *, seed: int, shuffled: bool = False, stdout=None):
        """
        `shuffled` writes the same kind of data in another physical order:
        figures oldest year first with regions and metrics reversed, programs
        and their links in random order. A query plan must not depend on
        which order the data arrived in.
        """
        self.random = random.Random(seed)
        self.shuffled = shuffled
        self.now = timezone.now()
        self.stdout = stdout

    def say(self, message):
        if self.stdout is not None:
            self.stdout.write(message)

    # Reference data ----------------------------------------------------------------

    def published(self) -> dict:
        """Generated reference data is public at once, like the generated records."""
        return {"publication_state": PublicationState.PUBLISHED, "published_at": self.now}

    def source(self) -> Source:
        source, _created = Source.objects.get_or_create(
            slug=f"{PREFIX}data-generator",
            defaults={
                "title_en": f"Synthetic data generator {MARK}",
                "title_zh": "合成数据生成器（合成）",
                "publisher": "Synthetic data generator",
                "published_on": date(2025, 1, 1),
                "notes": "Not a real publication: figures for scale tests.",
                **self.published(),
            },
        )
        return source

    def regions(self) -> list[Region]:
        """The demo's regions and ten synthetic counties under every other prefecture."""
        shanxi = Region.objects.filter(code="140000").first()
        if shanxi is None:
            raise ValueError("Load the demo first: manage.py loaddata shanxi_2020")
        for prefecture in shanxi.children.exclude(code="141000"):
            for number in range(90, 90 + COUNTIES_PER_PREFECTURE):
                code = f"{prefecture.code[:4]}{number}"
                if not Region.objects.filter(code=code).exists():
                    county = Region(
                        code=code,
                        name_en=f"County {code} {MARK}",
                        name_zh=f"县{code}（合成）",
                        level=Region.Level.COUNTY,
                        parent=prefecture,
                    )
                    county.full_clean()
                    county.save()
        return list(Region.objects.in_region(shanxi).order_by("path"))

    def metrics(self, source) -> list[Metric]:
        for number in range(SYNTHETIC_METRICS):
            Metric.objects.get_or_create(
                slug=f"{PREFIX}metric-{number:02d}",
                defaults={
                    "name_en": f"Synthetic online sales {number:02d} {MARK}",
                    "name_zh": f"合成网络销售额{number:02d}（合成）",
                    "unit": Unit.YUAN,
                    "display_scale": DisplayScale.MILLION,
                    "frequency": Metric.Frequency.MONTHLY,
                    "is_cumulative": True,
                    "category": Metric.Category.OTHER,
                    "source": source,
                    **self.published(),
                },
            )
        return list(Metric.objects.filter(slug__startswith=PREFIX).order_by("slug"))

    def organisations(self) -> tuple[list[int], list[int]]:
        """(lead organisations, platform partners), synthetic ones added to the demo's."""
        for number in range(PLATFORMS):
            Organisation.objects.get_or_create(
                slug=f"{PREFIX}platform-{number:02d}",
                defaults={
                    "name_en": f"Platform {number:02d} {MARK}",
                    "name_zh": f"平台{number:02d}（合成）",
                    "kind": Organisation.Kind.PLATFORM_COMPANY,
                    **self.published(),
                },
            )
            Organisation.objects.get_or_create(
                slug=f"{PREFIX}bureau-{number:02d}",
                defaults={
                    "name_en": f"Commerce bureau {number:02d} {MARK}",
                    "name_zh": f"商务局{number:02d}（合成）",
                    "kind": Organisation.Kind.LOCAL_GOVERNMENT,
                    **self.published(),
                },
            )
        leads = list(
            Organisation.objects.canonical()
            .exclude(kind=Organisation.Kind.PLATFORM_COMPANY)
            .values_list("pk", flat=True)
        )
        platforms = list(
            Organisation.objects.canonical()
            .filter(kind=Organisation.Kind.PLATFORM_COMPANY)
            .values_list("pk", flat=True)
        )
        return leads, platforms

    # Figures ---------------------------------------------------------------------------

    def observation_rows(self, count, metrics, regions, source) -> Iterator[tuple]:
        """
        Year-to-date monthly series (Jan-Feb to Jan-Dec), newest year first,
        growing a few percent a year with noise, each with its y/y change.
        """
        base = {
            (metric.pk, region.pk): Decimal(self.random.randint(50, 5000)) * 1_000_000
            for metric in metrics
            for region in regions
        }
        made = 0
        years = range(LAST_YEAR, FIRST_YEAR - 1, -1)
        if self.shuffled:
            years, metrics, regions = reversed(years), metrics[::-1], regions[::-1]
        for year in years:
            for month in range(2, 13):
                period = Period.year_to_date(year, month)
                for metric in metrics:
                    for region in regions:
                        if made >= count:
                            return
                        level = base[metric.pk, region.pk] * Decimal(month) / 12
                        growth = Decimal(self.random.randint(-50, 250)) / 10
                        value = (level * (1 + growth / 100) ** (year - FIRST_YEAR)).quantize(
                            Decimal(1000)
                        )
                        published = self.random.random() < 0.95
                        yield (
                            metric.pk,
                            region.pk,
                            str(period.type),
                            period.start,
                            period.end,
                            value,
                            "exact",
                            growth,
                            source.pk,
                            QUOTE,
                            "quoted",
                            "",
                            MARK,
                            "",
                            PublicationState.PUBLISHED if published else PublicationState.DRAFT,
                            self.now if published else None,
                            0,
                        )
                        made += 1

    OBSERVATION_FIELDS = [
        "metric",
        "region",
        "period_type",
        "period_start",
        "period_end",
        "value",
        "value_qualifier",
        "yoy_change",
        "source",
        "source_quote",
        "basis",
        "basis_note",
        "note_en",
        "note_zh",
        "publication_state",
        "published_at",
        "lock_version",
    ]

    # Programs --------------------------------------------------------------------------

    def program_rows(self, count, leads) -> Iterator[tuple]:
        kinds = [choice.value for choice in Program.Kind]
        statuses = [choice.value for choice in Program.Status]
        for number in range(count):
            start = date(self.random.randint(2012, 2025), self.random.randint(1, 12), 1)
            end = date(start.year + self.random.randint(0, 6), self.random.randint(1, 12), 28)
            if end < start:
                end = date(start.year + 1, 12, 31)
            published = self.random.random() < 0.9
            yield (
                f"{PREFIX}program-{number:06d}",
                f"Synthetic program {number:06d} {MARK}",
                f"合成项目{number:06d}（合成）",
                self.random.choice(kinds),
                f"A synthetic program for scale tests {MARK}.",
                "",
                "",
                "",
                self.random.choice(leads),
                "",
                "",
                "",
                "",
                self.random.choice(statuses),
                start,
                end,
                Decimal(self.random.randint(1, 50_000)) * 10_000,
                PublicationState.PUBLISHED if published else PublicationState.DRAFT,
                self.now if published else None,
                0,
                Program.OfficialRole.RESPONSIBLE,
                {},
            )

    PROGRAM_FIELDS = [
        "slug",
        "title_en",
        "title_zh",
        "kind",
        "summary_en",
        "summary_zh",
        "description_en",
        "description_zh",
        "lead_organisation",
        "responsible_official_en",
        "responsible_official_zh",
        "official_title_en",
        "official_title_zh",
        "status",
        "start_date",
        "end_date",
        "budget_yuan",
        "publication_state",
        "published_at",
        "lock_version",
        "official_role",
        "bases",
    ]

    def program_links(self, program_ids, regions, platforms, metrics, source):
        """Regions, sectors, partners, outcomes and activities of the synthetic programs."""
        counties = [region for region in regions if region.level == Region.Level.COUNTY]
        sectors = list(Sector.objects.values_list("pk", flat=True))
        region_rows, sector_rows, partner_rows, outcome_rows, activity_rows = [], [], [], [], []
        for program_id in program_ids:
            chosen = self.random.sample(counties, self.random.randint(1, 3))
            region_rows += [(program_id, region.pk) for region in chosen]
            if sectors:
                sector_rows.append((program_id, self.random.choice(sectors)))
            for organisation in self.random.sample(platforms, self.random.randint(0, 2)):
                partner_rows.append((program_id, organisation, "platform_partner", MARK, "", {}))
            if self.random.random() < 0.5:
                outcome_rows.append(
                    (program_id, self.random.choice(metrics).pk, chosen[0].pk, "increase")
                    + (MARK, "", "", "", 0, {})
                )
            if self.random.random() < 0.3:
                day = date(self.random.randint(2015, 2025), self.random.randint(1, 12), 1)
                activity_rows.append(
                    (
                        program_id,
                        "livestream_events",
                        f"Livestreams {MARK}",
                        "",
                        "",
                        "",
                        day,
                        day,
                        self.random.randint(1, 100),
                        [],
                        "",
                        "",
                        source.pk,
                        QUOTE,
                        0,
                    )
                )
        if self.shuffled:
            for rows in (region_rows, sector_rows, partner_rows, outcome_rows, activity_rows):
                self.random.shuffle(rows)
        through = Program.regions.through
        insert_rows(through, ["program", "region"], region_rows)
        insert_rows(Program.sectors.through, ["program", "sector"], sector_rows)
        insert_rows(
            Partnership,
            ["program", "organisation", "role", "role_detail_en", "role_detail_zh", "bases"],
            partner_rows,
        )
        insert_rows(
            Outcome,
            [
                "program",
                "metric",
                "region",
                "effect",
                "rationale_en",
                "rationale_zh",
                "baseline_period_type",
                "target_period_type",
                "lock_version",
                "bases",
            ],
            outcome_rows,
        )
        insert_rows(
            Activity,
            [
                "program",
                "kind",
                "title_en",
                "title_zh",
                "description_en",
                "description_zh",
                "start_date",
                "end_date",
                "event_count",
                "venue_types",
                "participants_en",
                "participants_zh",
                "source",
                "source_quote",
                "lock_version",
            ],
            activity_rows,
        )

    # The whole run ---------------------------------------------------------------------

    @transaction.atomic
    def generate(self, *, programs: int, observations: int) -> dict[str, int]:
        source = self.source()
        regions = self.regions()
        metrics = self.metrics(source)
        leads, platforms = self.organisations()
        self.say(f"{len(regions)} regions, {len(metrics)} synthetic metrics")
        started = time.perf_counter()
        made_observations = insert_rows(
            Observation,
            self.OBSERVATION_FIELDS,
            self.observation_rows(observations, metrics, regions, source),
        )
        self.say(f"{made_observations} observations in {time.perf_counter() - started:.1f} s")
        program_rows = self.program_rows(programs, leads)
        if self.shuffled:
            program_rows = list(program_rows)
            self.random.shuffle(program_rows)
        insert_rows(Program, self.PROGRAM_FIELDS, program_rows)
        program_ids = list(
            Program.objects.filter(slug__startswith=PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self.program_links(program_ids, regions, platforms, metrics, source)
        self.say(f"{len(program_ids)} programs")
        return {"observations": made_observations, "programs": len(program_ids)}


def remove_synthetic() -> None:
    """Delete everything the generator made, leaving the demo as it was."""
    with transaction.atomic():
        Program.objects.filter(slug__startswith=PREFIX).delete()
        Observation.objects.filter(source__slug__startswith=PREFIX).delete()
        Metric.objects.filter(slug__startswith=PREFIX).delete()
        Organisation.objects.filter(slug__startswith=PREFIX).delete()
        Region.objects.filter(name_en__endswith=MARK).delete()
        Source.objects.filter(slug__startswith=PREFIX).delete()
