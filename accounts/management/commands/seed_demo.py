"""Load the demo data of every app (idempotent: running it again changes nothing that exists)."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app that has demo data provides `<app>.demo.seed(log)`; they run in dependency order.
DEMO_MODULES = ["accounts.demo", "facility.demo", "procurement.demo", "scheduling.demo", "reports.demo"]


class Command(BaseCommand):
    help = "Load the demo data of the story (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name in DEMO_MODULES:
            if importlib.util.find_spec(name) is None:
                continue
            module = importlib.import_module(name)
            with transaction.atomic():
                module.seed(self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
