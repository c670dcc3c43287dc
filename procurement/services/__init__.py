"""Writes and workflows of the procurement app (re-exported from the modules of this package)."""

from procurement.services.amendments import amendment_create
from procurement.services.awards import award_create
from procurement.services.common import locked_change_refuse
from procurement.services.contracts import (
    contract_create,
    contract_locked_fields,
    contract_paid_total,
    contract_sign,
    contract_update,
    milestone_create,
    milestone_update,
)
from procurement.services.documents import document_create, document_file_name_safe, document_upload_inspect
from procurement.services.payments import exchange_rate_create, exchange_rate_get, payment_create
from procurement.services.tenders import (
    bid_create,
    bid_update,
    tender_create,
    tender_item_create,
    tender_locked_fields,
    tender_update,
)
from procurement.services.workflow import (
    TRANSITIONS,
    process_create,
    process_transition,
    process_transitions_allowed,
    process_transitions_next,
    process_update,
    release_append,
    release_chain_verify,
)

__all__ = [
    "TRANSITIONS",
    "amendment_create",
    "award_create",
    "bid_create",
    "bid_update",
    "contract_create",
    "contract_locked_fields",
    "contract_paid_total",
    "contract_sign",
    "contract_update",
    "document_create",
    "document_file_name_safe",
    "document_upload_inspect",
    "exchange_rate_create",
    "exchange_rate_get",
    "locked_change_refuse",
    "milestone_create",
    "milestone_update",
    "payment_create",
    "process_create",
    "process_transition",
    "process_transitions_allowed",
    "process_transitions_next",
    "process_update",
    "release_append",
    "release_chain_verify",
    "tender_create",
    "tender_item_create",
    "tender_locked_fields",
    "tender_update",
]
