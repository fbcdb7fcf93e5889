"""List every validation-rule violation among the observations."""

from django.core.management.base import BaseCommand, CommandError

from metrics.models import Observation, ValidationRule, find_violations


class Command(BaseCommand):
    help = (
        "List every observation that breaks an active validation rule "
        "(e.g. a rural share that disagrees with the sales figures)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--published-only",
            action="store_true",
            help="Check only what the public sees.",
        )
        parser.add_argument(
            "--fail",
            action="store_true",
            help="Exit with status 1 when there is any violation (for scheduled checks).",
        )

    def handle(self, *args, published_only=False, fail=False, **options):
        if published_only:
            observations, rules = Observation.objects.published(), None  # the public's rules
        else:
            observations = Observation.objects.canonical()
            rules = ValidationRule.objects.for_staff()
        count = 0
        for violation in find_violations(observations, rules=rules):
            count += 1
            subject = violation.subject
            self.stdout.write(
                f"{violation.rule.slug}\t{subject.region.code} {subject.region.name_en}\t"
                f"{subject.period.label('en')}\t{violation.message}"
            )
        summary = f"{count} violation(s) found."
        if count and fail:
            raise CommandError(summary)
        self.stdout.write(self.style.WARNING(summary) if count else self.style.SUCCESS(summary))
