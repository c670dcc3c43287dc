"""Enumerations of the procurement app; OCDS statuses and types come from the OCDS 1.1.5 codelists."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessStatus(models.TextChoices):
    """Workflow stage of a contracting process (DESIGN.md 3.3)."""

    PLANNING = "planning", _("Planning")
    TENDER = "tender", _("Tender")
    EVALUATION = "evaluation", _("Evaluation")
    AWARDED = "awarded", _("Awarded")
    CONTRACTED = "contracted", _("Contracted")
    IMPLEMENTATION = "implementation", _("Implementation")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")


class ProcurementCategory(models.TextChoices):
    """OCDS procurementCategory."""

    GOODS = "goods", _("Goods and supplies")
    WORKS = "works", _("Works")
    SERVICES = "services", _("Services")


class ProcurementMethod(models.TextChoices):
    """OCDS method."""

    OPEN = "open", _("Open")
    SELECTIVE = "selective", _("Selective")
    LIMITED = "limited", _("Limited")
    DIRECT = "direct", _("Direct")


class TenderStatus(models.TextChoices):
    """OCDS tenderStatus."""

    PLANNING = "planning", _("Planning")
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
    COMPLETE = "complete", _("Complete")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AwardStatus(models.TextChoices):
    """OCDS awardStatus."""

    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")


class ContractStatus(models.TextChoices):
    """OCDS contractStatus."""

    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    TERMINATED = "terminated", _("Terminated")


class MilestoneStatus(models.TextChoices):
    """OCDS milestoneStatus."""

    SCHEDULED = "scheduled", _("Scheduled")
    MET = "met", _("Met")
    NOT_MET = "notMet", _("Not met")
    PARTIALLY_MET = "partiallyMet", _("Partially met")


class MilestoneType(models.TextChoices):
    """OCDS milestoneType."""

    PRE_PROCUREMENT = "preProcurement", _("Pre-procurement milestones")
    APPROVAL = "approval", _("Approval milestones")
    ENGAGEMENT = "engagement", _("Engagement milestones")
    ASSESSMENT = "assessment", _("Assessment milestones")
    DELIVERY = "delivery", _("Delivery milestones")
    REPORTING = "reporting", _("Reporting milestones")
    FINANCING = "financing", _("Financing milestones")
    PAYMENT = "payment", _("Payment milestones")


class AwardCriteria(models.TextChoices):
    """OCDS awardCriteria."""

    PRICE_ONLY = "priceOnly", _("Price only")
    COST_ONLY = "costOnly", _("Cost only")
    QUALITY_ONLY = "qualityOnly", _("Quality only")
    RATED_CRITERIA = "ratedCriteria", _("Rated criteria")
    LOWEST_COST = "lowestCost", _("Lowest cost")
    BEST_PROPOSAL = "bestProposal", _("Best proposal")
    BEST_VALUE_TO_GOVERNMENT = "bestValueToGovernment", _("Best value to government")
    SINGLE_BID_ONLY = "singleBidOnly", _("Single bid only")


class DocumentType(models.TextChoices):
    """OCDS documentType."""

    PLANNED_PROCUREMENT_NOTICE = "plannedProcurementNotice", _("Notice of planned procurement")
    TENDER_NOTICE = "tenderNotice", _("Tender notice")
    AWARD_NOTICE = "awardNotice", _("Award notice")
    CONTRACT_NOTICE = "contractNotice", _("Contract notice")
    COMPLETION_CERTIFICATE = "completionCertificate", _("Completion certificate")
    PROCUREMENT_PLAN = "procurementPlan", _("Procurement plan")
    BIDDING_DOCUMENTS = "biddingDocuments", _("Bidding documents")
    TECHNICAL_SPECIFICATIONS = "technicalSpecifications", _("Technical specifications")
    EVALUATION_CRITERIA = "evaluationCriteria", _("Evaluation criteria")
    EVALUATION_REPORTS = "evaluationReports", _("Evaluation report")
    CONTRACT_DRAFT = "contractDraft", _("Contract draft")
    CONTRACT_SIGNED = "contractSigned", _("Signed contract")
    CONTRACT_ARRANGEMENTS = "contractArrangements", _("Arrangements for ending contract")
    CONTRACT_SCHEDULE = "contractSchedule", _("Contract schedules")
    PHYSICAL_PROGRESS_REPORT = "physicalProgressReport", _("Physical progress reports")
    FINANCIAL_PROGRESS_REPORT = "financialProgressReport", _("Financial progress reports")
    FINAL_AUDIT = "finalAudit", _("Final audit")
    HEARING_NOTICE = "hearingNotice", _("Public hearing notice")
    MARKET_STUDIES = "marketStudies", _("Market studies")
    ELIGIBILITY_CRITERIA = "eligibilityCriteria", _("Eligibility criteria")
    CLARIFICATIONS = "clarifications", _("Clarifications to bidders questions")
    SHORTLISTED_FIRMS = "shortlistedFirms", _("Shortlisted firms")
    ENVIRONMENTAL_IMPACT = "environmentalImpact", _("Environmental impact")
    ASSET_AND_LIABILITY_ASSESSMENT = (
        "assetAndLiabilityAssessment",
        _("Assessment of government's assets and liabilities"),
    )
    RISK_PROVISIONS = "riskProvisions", _("Provisions for management of risks and liabilities")
    WINNING_BID = "winningBid", _("Winning bid")
    COMPLAINTS = "complaints", _("Complaints and decisions")
    CONTRACT_ANNEXE = "contractAnnexe", _("Annexes to the contract")
    CONTRACT_GUARANTEES = "contractGuarantees", _("Guarantees")
    SUB_CONTRACT = "subContract", _("Subcontracts")
    NEEDS_ASSESSMENT = "needsAssessment", _("Needs assessment")
    FEASIBILITY_STUDY = "feasibilityStudy", _("Feasibility study")
    PROJECT_PLAN = "projectPlan", _("Project plan")
    BILL_OF_QUANTITY = "billOfQuantity", _("Bill of quantity")
    BIDDERS = "bidders", _("Information on bidders")
    CONFLICT_OF_INTEREST = "conflictOfInterest", _("Conflict of interest")
    DEBARMENTS = "debarments", _("Debarments")
    ILLUSTRATION = "illustration", _("Illustrations")
    SUBMISSION_DOCUMENTS = "submissionDocuments", _("Bid submission documents")
    CONTRACT_SUMMARY = "contractSummary", _("Contract summary")
    CANCELLATION_DETAILS = "cancellationDetails", _("Cancellation details")


class ReleaseTag(models.TextChoices):
    """OCDS releaseTag."""

    PLANNING = "planning", _("Planning")
    PLANNING_UPDATE = "planningUpdate", _("Planning update")
    TENDER = "tender", _("Tender")
    TENDER_AMENDMENT = "tenderAmendment", _("Tender amendment")
    TENDER_UPDATE = "tenderUpdate", _("Tender update")
    TENDER_CANCELLATION = "tenderCancellation", _("Tender cancellation")
    AWARD = "award", _("Award")
    AWARD_UPDATE = "awardUpdate", _("Award update")
    AWARD_CANCELLATION = "awardCancellation", _("Award cancellation")
    CONTRACT = "contract", _("Contract")
    CONTRACT_UPDATE = "contractUpdate", _("Contract update")
    CONTRACT_AMENDMENT = "contractAmendment", _("Contract amendment")
    IMPLEMENTATION = "implementation", _("Implementation")
    IMPLEMENTATION_UPDATE = "implementationUpdate", _("Implementation update")
    CONTRACT_TERMINATION = "contractTermination", _("Contract termination")
    COMPILED = "compiled", _("Compiled record")


class BidStatus(models.TextChoices):
    """Status of a bid."""

    VALID = "valid", _("Valid")
    DISQUALIFIED = "disqualified", _("Disqualified")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PaymentMethod(models.TextChoices):
    """How a payment was made."""

    LETTER_OF_CREDIT = "letter_of_credit", _("Letter of credit")
    WIRE_TRANSFER = "wire_transfer", _("Wire transfer")
    OTHER = "other", _("Other")


class DocumentStage(models.TextChoices):
    """The stage of the process a document belongs to."""

    PLANNING = "planning", _("Planning")
    TENDER = "tender", _("Tender")
    AWARD = "award", _("Award")
    CONTRACT = "contract", _("Contract")
    IMPLEMENTATION = "implementation", _("Implementation")


class Currency(models.TextChoices):
    """Supported ISO 4217 currencies (see procurement/money.py for minor units)."""

    KRW = "KRW", _("Korean won")
    EUR = "EUR", _("Euro")
    USD = "USD", _("US dollar")
    SGD = "SGD", _("Singapore dollar")
