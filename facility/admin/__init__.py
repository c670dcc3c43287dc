"""Admin of the facility app: every save goes through the services, every changelist joins what it shows.

Django's admin autodiscovery imports this package; each module registers its models.
"""

from facility.admin import equipment, offices, organizations

__all__ = ["equipment", "offices", "organizations"]
