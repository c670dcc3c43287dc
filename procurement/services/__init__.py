"""Writes and workflows of the procurement app (re-exported from the modules of this package)."""

from procurement.services.amendments import amendment_create
from procurement.services.awards import award_create
from procurement.services.contracts import (
    contract_create,
    contract_paid,
    contract_sign,
    contract_update,
    milestone_create,
    milestone_update,
)
from procurement.services.documents import document_create, inspect_upload, safe_file_name
from procurement.services.payments import exchange_rate_create, exchange_rate_for, payment_create
from procurement.services.tenders import bid_create, bid_update, tender_create, tender_item_create, tender_update
from procurement.services.workflow import (
    TRANSITIONS,
    allowed_transitions,
    process_create,
    process_transition,
    process_update,
    release_append,
    release_chain_verify,
)

__all__ = [
    "TRANSITIONS",
    "allowed_transitions",
    "amendment_create",
    "award_create",
    "bid_create",
    "bid_update",
    "contract_create",
    "contract_paid",
    "contract_sign",
    "contract_update",
    "document_create",
    "exchange_rate_create",
    "exchange_rate_for",
    "inspect_upload",
    "milestone_create",
    "milestone_update",
    "payment_create",
    "process_create",
    "process_transition",
    "process_update",
    "release_append",
    "release_chain_verify",
    "safe_file_name",
    "tender_create",
    "tender_item_create",
    "tender_update",
]
