"""The government procurement of the machine, modelled on OCDS 1.1: process, stage records, money, releases."""

from procurement.models.payments import ExchangeRate, Payment
from procurement.models.process import ContractingProcess
from procurement.models.records import Amendment, ChangeRecord, Document, OcdsRelease, document_upload_to
from procurement.models.stages import Award, Bid, Contract, Milestone, Tender, TenderItem

__all__ = [
    "Amendment",
    "Award",
    "Bid",
    "ChangeRecord",
    "Contract",
    "ContractingProcess",
    "Document",
    "ExchangeRate",
    "Milestone",
    "OcdsRelease",
    "Payment",
    "Tender",
    "TenderItem",
    "document_upload_to",
]
