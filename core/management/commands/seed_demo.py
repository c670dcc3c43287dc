"""Load the demo data of every installed app (idempotent: running it again changes nothing that exists)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Load the demo data of the story (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Each app with demo data has `<app>.demo.seed(log)`, found the way Django's admin finds `admin` modules;
        # they run in INSTALLED_APPS order, which is the apps' dependency order (DESIGN.md 2). Only this project's
        # apps are asked.
        for config in apps.get_app_configs():
            ours = Path(config.path).is_relative_to(settings.BASE_DIR)
            if not ours or not module_has_submodule(config.module, "demo"):
                continue
            module = importlib.import_module(f"{config.name}.demo")
            with transaction.atomic():
                module.seed(self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
