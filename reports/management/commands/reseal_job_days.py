"""Seal job days again after a correction made directly in the database (see reports.metrics.rollups)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.services import job_days_reseal


class Command(BaseCommand):
    help = "Drop a backend's sealed job days in [FIRST, LAST) (UTC dates) and seal them again from the jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backend", help="the backend's name, e.g. spark")
        parser.add_argument("first", type=dt.date.fromisoformat, help="first UTC day, YYYY-MM-DD")
        parser.add_argument("last", type=dt.date.fromisoformat, help="the day after the last one, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sealed = job_days_reseal(backend_name=options["backend"], first=options["first"], last=options["last"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{sealed} days sealed again."))
