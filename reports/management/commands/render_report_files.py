"""Render and store the files of succeeded reports that lack them (reports made before the task stored files)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reports.services import report_files_render, report_ids_without_files


class Command(BaseCommand):
    help = (
        "Render and store the PDF and CSV of every succeeded report that lacks them, from its stored snapshot. "
        "Optional: a download of such a report queues the same rendering itself; this does them all at once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rendered = 0
        for report_id in report_ids_without_files():
            if report_files_render(report_id=report_id):
                rendered += 1
                self.stdout.write(f"report #{report_id}: files stored")
        self.stdout.write(self.style.SUCCESS(f"{rendered} reports given their files."))
