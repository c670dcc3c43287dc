from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The shared bottom layer: domain errors, API plumbing, publish-after-commit, DB helpers, health."""

    name = "core"
    verbose_name = _("System")
