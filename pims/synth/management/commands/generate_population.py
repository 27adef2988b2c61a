"""`manage.py generate_population`: a synthetic population for a set of villages.

Straight into the register (approved households, baseline events and spells),
or with --out into a police extract file (CSV or XLSX) for `import_police`.
With --events-year YEAR the population is collected (baseline) at the end of
the year before and then lives through YEAR: a year of change events applied
month by month through the events engine (pims.synth.event_year).
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from pims.lib import clock
from pims.lib.dates import age_on
from pims.synth.census import LIAONING_2020
from pims.synth.generator import Generator, Population
from pims.synth.selectors import flow_codes, village_specs, villages_under


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"dates are YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Generate a synthetic population (deterministic by --seed) into the database or a police extract file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--villages",
            nargs="+",
            default=["210124"],
            metavar="CODE-PREFIX",
            help="villages whose code starts with one of these prefixes (default: all of Faku, 210124)",
        )
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--persons", type=int, help="total number of persons, spread over the villages")
        size.add_argument("--per-village", type=int, help="persons per village (default 1400)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--as-of", type=_date, help="reference date for ages and the baseline (default today)")
        parser.add_argument("--out", help="write a police extract (.csv or .xlsx) instead of the database")
        parser.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "utf-8", "gb18030"])
        parser.add_argument("--codes", action="store_true", help="write codes instead of names in the file")
        parser.add_argument(
            "--events-year",
            type=int,
            metavar="YEAR",
            help="then generate the change events of YEAR (up to today); the baseline defaults to YEAR-1-12-31",
        )

    def handle(self, *args, villages, persons, per_village, seed, as_of, out, encoding, codes, events_year, **options):
        today = clock.today()
        if events_year is not None:
            if out:
                raise CommandError("--events-year writes events into the database; it cannot go with --out")
            if events_year > today.year:
                raise CommandError(f"--events-year {events_year} has not begun (events only up to today)")
            as_of = as_of or dt.date(events_year - 1, 12, 31)
            if as_of > dt.date(events_year, 12, 31) or as_of > today:
                raise CommandError(f"--as-of {as_of} must come before the end of {events_year} and today")
        regions = villages_under(villages)
        if not regions:
            raise CommandError(f"no active villages under {', '.join(villages)} (run manage.py load_regions first)")
        specs = village_specs(regions, persons=persons, per_village=per_village)
        generator = Generator(seed=seed, as_of=as_of, other_codes=flow_codes(regions))
        started = time.perf_counter()
        pop = Population()
        for spec in specs:
            pop.extend(generator.village(spec))
        generated = time.perf_counter() - started
        self.stderr.write(
            f"generated {len(pop.persons)} persons in {len(pop.households)} households, "
            f"{len(specs)} villages, seed {seed}, in {generated:.1f}s"
        )
        self._report(pop, generator)
        if out:
            from pims.synth.police_file import write_police_file

            n = write_police_file(pop, out, encoding=encoding, names=not codes)
            self.stdout.write(f"wrote {n} rows to {out}")
            return
        from pims.synth.services import population_write

        t0 = time.perf_counter()
        approved_at = None
        if events_year is not None:  # the baseline counts in its own month, before the events
            from django.utils import timezone

            approved_at = timezone.make_aware(dt.datetime.combine(generator.as_of, dt.time(12)))
        result = population_write(
            actor=None,
            population=pop,
            generator=generator,
            approved_at=approved_at,
            username="system:generate_population",
        )
        self.stdout.write(f"written in {time.perf_counter() - t0:.1f}s: {result}")
        if events_year is not None:
            from pims.synth.services import event_year_write

            t0 = time.perf_counter()
            events = event_year_write(
                actor=None,
                year=events_year,
                seed=seed,
                prefixes=villages,
                after=generator.as_of,
                username="system:generate_population",
                log=self.stderr.write,
            )
            self.stdout.write(f"events applied in {time.perf_counter() - t0:.1f}s: {events}")
            if events.refused:
                self.stderr.write(f"{events.refused} generated events were refused by the events engine and left out")

    def _report(self, pop, generator):
        from pims.synth.census import summarise

        shares = summarise((age_on(p.birth_date, generator.as_of), p.sex) for p in pop.persons)
        for key, value in shares.items():
            self.stderr.write(f"  {key:12} generated {value:6.2f}  target {LIAONING_2020[key]:6.2f}")
