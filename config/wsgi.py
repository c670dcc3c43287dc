"""WSGI entry point (`gunicorn config.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

# Every web process compiles circuits (job submission): build the compiler while the process starts rather than on
# the first job a researcher submits to it, which would wait seconds for Qiskit to load its transpiler plugins.
from scheduling.simulator import circuit_compiler_warm  # noqa: E402

circuit_compiler_warm()
