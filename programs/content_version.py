"""The programs app's tables and when a change to one is public (see metrics.content_version)."""

from metrics.content_version import ACTIVITY_PUBLISHED, ALWAYS, PROGRAM_PUBLISHED, PUBLISHED

PROGRAMS_TABLES = {
    "programs_organisation": PUBLISHED,
    "programs_sector": ALWAYS,
    "programs_program": PUBLISHED,
    "programs_program_regions": PROGRAM_PUBLISHED,
    "programs_program_sectors": PROGRAM_PUBLISHED,
    "programs_partnership": PROGRAM_PUBLISHED,
    "programs_programsource": PROGRAM_PUBLISHED,
    "programs_outcome": PROGRAM_PUBLISHED,
    "programs_activity": PROGRAM_PUBLISHED,
    "programs_activity_regions": ACTIVITY_PUBLISHED,
    "programs_activity_results": ACTIVITY_PUBLISHED,
}
