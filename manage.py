#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Without `DJANGO_SETTINGS_MODULE` it uses the development settings (`config.settings.dev`). Commands that only
make sense for production (`collectstatic`, `check --deploy`) refuse to run under them: their output would
describe the development configuration (no static manifest, debug on), not the deployment's.
"""

import os
import sys

DEV_SETTINGS = "config.settings.dev"


def production_only_command(argv: list[str]) -> str | None:
    """The production-only command in `argv`, if any."""
    args = argv[1:]
    if not args:
        return None
    if args[0] == "collectstatic":
        return "collectstatic"
    if args[0] == "check" and "--deploy" in args:
        return "check --deploy"
    return None


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEV_SETTINGS)
    command = production_only_command(sys.argv)
    if command and os.environ["DJANGO_SETTINGS_MODULE"] == DEV_SETTINGS:
        sys.stderr.write(
            f"`manage.py {command}` prepares or checks a production deployment, but the settings are "
            f"{DEV_SETTINGS}.\nSet DJANGO_SETTINGS_MODULE=config.settings.base (README, Production deployment).\n"
        )
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
