"""The policy layer: organisations, programs, partnerships, outcomes and activities."""

from programs.models.organisations import Organisation, Sector
from programs.models.programs import Partnership, Program, ProgramQuerySet, ProgramSource
from programs.models.results import Activity, Outcome, OutcomeQuerySet

__all__ = [
    "Activity",
    "Organisation",
    "Outcome",
    "OutcomeQuerySet",
    "Partnership",
    "Program",
    "ProgramQuerySet",
    "ProgramSource",
    "Sector",
]
