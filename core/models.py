"""Models of the shared bottom layer: the worker heartbeat that /readyz reports."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task (shown by /readyz and the admin)."""

    hostname = models.CharField(_("hostname"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("seen at"))
    beats = models.PositiveBigIntegerField(_("beats"), default=0)

    class Meta:
        db_table = "accounts_workerheartbeat"  # the table it had when accounts kept it
        ordering = ["-seen_at"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.hostname
