"""The entry point: `QFRProvider(url=..., token=...)` lists the site's backends as Qiskit backends."""

from __future__ import annotations

from typing import Any

from qfr_qiskit.backend import QFRBackend
from qfr_qiskit.client import QFRClient
from qfr_qiskit.errors import NotFound


class QFRProvider(QFRClient):
    """A site's backends as Qiskit `BackendV2` objects, plus the REST helpers of `QFRClient` (book, cancel,
    availability, jobs, reports).

    `url` is the site's root (e.g. `https://qfr.example.ac.kr`), `token` the user's API token.
    """

    def __init__(self, url: str, token: str, **kwargs: Any) -> None:
        super().__init__(url, token, **kwargs)

    def backends(self, name: str | None = None, **filters: Any) -> list[QFRBackend]:
        """Every backend of the site (or the one called `name`); `status="online"` and similar filter them."""
        backends = []
        for record in self.backend_records():
            if name is not None and record["name"] != name:
                continue
            if any(record.get(key) != value for key, value in filters.items()):
                continue
            backends.append(QFRBackend(self, record))
        return backends

    def get_backend(self, name: str) -> QFRBackend:
        """The backend called `name` (its slug, e.g. `spark`); NotFound when the site has none."""
        found = self.backends(name)
        if not found:
            raise NotFound(f"No backend named {name!r}.", code="not_found", status=404)
        return found[0]

    def __repr__(self) -> str:
        return f"QFRProvider(url={self.url!r})"
