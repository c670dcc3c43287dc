"""Admin for procurement officers: the whole lifecycle of a contracting process, every write through a service.

Each module registers its models; nothing here deletes (published records are never hard-deleted).
"""

from procurement.admin import contracts, processes, records, tenders

__all__ = ["contracts", "processes", "records", "tenders"]
