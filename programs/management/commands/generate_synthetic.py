"""Fill the database with clearly marked synthetic programs and figures for scale tests."""

import time

from django.core.management.base import BaseCommand, CommandError

from programs.synthetic import SyntheticData, remove_synthetic


class Command(BaseCommand):
    help = (
        "Add N synthetic programs and M synthetic observations (deterministic for a seed, "
        "every record marked synthetic) on top of the demo. COPY on PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programs", type=int, default=1000)
        parser.add_argument("--observations", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--shuffled",
            action="store_true",
            help="Write the rows in another order (to check that query plans do not depend on it).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete earlier synthetic data first."
        )

    def handle(self, *args, programs, observations, seed, shuffled, replace, **options):
        if min(programs, observations) < 0:
            raise CommandError("Counts cannot be negative.")
        started = time.perf_counter()
        if replace:
            remove_synthetic()
        try:
            made = SyntheticData(seed=seed, shuffled=shuffled, stdout=self.stdout).generate(
                programs=programs, observations=observations
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Made {made['programs']} programs and {made['observations']} observations "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )
