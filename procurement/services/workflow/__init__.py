"""The contracting process and its workflow: creation, updates, transitions and the OCDS release chain."""

from procurement.services.workflow.process import (
    NUMBER_FIELDS,
    PROCESS_FIELDS,
    ProcessDetails,
    ProcessFields,
    ProcessNumbers,
    process_create,
    process_update,
)
from procurement.services.workflow.releases import (
    lock_process,
    next_release_id,
    release_append,
    release_chain_verify,
    tag,
)
from procurement.services.workflow.transitions import (
    GUARDS,
    TERMINAL,
    TRANSITIONS,
    S,
    allowed_transitions,
    award_has_valid_bids,
    process_transition,
)

__all__ = [
    "GUARDS",
    "NUMBER_FIELDS",
    "PROCESS_FIELDS",
    "TERMINAL",
    "TRANSITIONS",
    "ProcessDetails",
    "ProcessFields",
    "ProcessNumbers",
    "S",
    "allowed_transitions",
    "award_has_valid_bids",
    "lock_process",
    "next_release_id",
    "process_create",
    "process_transition",
    "process_update",
    "release_append",
    "release_chain_verify",
    "tag",
]
