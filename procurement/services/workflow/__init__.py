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
    process_lock,
    release_append,
    release_chain_verify,
    release_date_next,
    release_id_next,
    release_tag_next,
)
from procurement.services.workflow.transitions import (
    GUARDS,
    TERMINAL,
    TRANSITIONS,
    S,
    award_has_valid_bids,
    process_transition,
    process_transitions_allowed,
    process_transitions_next,
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
    "award_has_valid_bids",
    "process_create",
    "process_lock",
    "process_transition",
    "process_transitions_allowed",
    "process_transitions_next",
    "process_update",
    "release_append",
    "release_chain_verify",
    "release_date_next",
    "release_id_next",
    "release_tag_next",
]
