from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared bottom layer: domain errors, API plumbing, publish-after-commit, DB helpers, health."""

    name = "core"
    verbose_name = "Core"
