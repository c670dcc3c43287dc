"""OCDS 1.1 release payloads of a contracting process, and release and record packages of stored releases."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from facility.models import Organization
from procurement.choices import BidStatus
from procurement.models import (
    Award,
    Contract,
    ContractingProcess,
    Document,
    OcdsRelease,
    Tender,
    TenderItem,
)

OCDS_VERSION = "1.1"
PUBLISHER_NAME = "Quantum Facility Records"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"


def ocds_datetime(value: dt.datetime | dt.date | None) -> str | None:
    """An OCDS date-time in UTC (`Z`); a date is its midnight UTC."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0), tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def canonical_json(payload: Any) -> bytes:
    """The bytes that are hashed: sorted keys, no whitespace, UTF-8 (stable across jsonb round trips)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chained_sha256(previous_sha256: str, payload: Any) -> str:
    """SHA-256 over the previous release's hash followed by this payload's canonical JSON."""
    return hashlib.sha256(previous_sha256.encode("ascii") + canonical_json(payload)).hexdigest()


def party_id(org: Organization) -> str:
    if org.identifier_scheme and org.identifier:
        return f"{org.identifier_scheme}-{org.identifier}"
    return f"qfr-org-{org.pk}"


def org_reference(org: Organization) -> dict[str, str]:
    return {"id": party_id(org), "name": org.name}


def _period(start: Any, end: Any) -> dict[str, str] | None:
    if start is None and end is None:
        return None
    period = {"startDate": ocds_datetime(start), "endDate": ocds_datetime(end)}
    return {key: value for key, value in period.items() if value is not None}


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional fields (OCDS prefers absent over empty)."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def document_url(document: Document) -> str:
    path = reverse("procurement:document-download", kwargs={"pk": document.pk})
    base = getattr(settings, "OCDS_BASE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else path


def _documents(documents: Iterable[Document], stages: Sequence[str]) -> list[dict[str, Any]]:
    return [
        _compact(
            {
                "id": f"doc-{doc.pk}",
                "documentType": doc.document_type,
                "title": doc.title,
                "description": doc.description,
                "url": document_url(doc),
                "datePublished": ocds_datetime(doc.published_at or doc.uploaded_at),
                "format": doc.media_type,
                "language": doc.language,
            }
        )
        for doc in documents
        if doc.stage in stages
    ]


def _amendments(amendments: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        _compact(
            {
                "id": f"amendment-{a.pk}",
                "date": ocds_datetime(a.date),
                "rationale": a.rationale,
                "description": a.description,
                "amendsReleaseID": a.amends_release_id,
                "releaseID": a.release_id,
            }
        )
        for a in amendments
    ]


def load_process(process_id: int) -> ContractingProcess:
    """The process with every related row the payload needs, in a fixed number of queries."""
    return (
        ContractingProcess.objects.select_related("buyer", "procuring_entity")
        .prefetch_related(
            Prefetch(
                "awards",
                queryset=Award.objects.prefetch_related("suppliers").order_by("date", "id"),
            ),
            Prefetch(
                "contracts",
                queryset=Contract.objects.prefetch_related(
                    "milestones", "amendments", "payments__payer", "payments__payee"
                ).order_by("id"),
            ),
            Prefetch("documents", queryset=Document.objects.order_by("uploaded_at", "id")),
        )
        .get(pk=process_id)
    )


class _Parties:
    """The release's parties, in the order first referenced, each with every role it plays."""

    def __init__(self) -> None:
        self.parties: dict[int, dict[str, Any]] = {}

    def role(self, org: Organization, name: str) -> dict[str, str]:
        """Record that `org` plays role `name`; its OCDS organization reference."""
        party = self.parties.setdefault(
            org.pk,
            _compact(
                {
                    "id": party_id(org),
                    "name": org.name,
                    "identifier": _compact(
                        {"scheme": org.identifier_scheme, "id": org.identifier, "legalName": org.name}
                    )
                    if org.identifier
                    else None,
                    "address": {"countryName": str(org.country.name)} if org.country else None,
                    "roles": [],
                }
            ),
        )
        party.setdefault("roles", [])
        if name not in party["roles"]:
            party["roles"].append(name)
        return org_reference(org)


def release_payload(
    process: ContractingProcess, *, release_id: str, date: dt.datetime, tags: Sequence[str]
) -> dict[str, Any]:
    """The full OCDS release of the process's current state (every release is a complete snapshot)."""
    process = load_process(process.pk)
    parties = _Parties()
    documents = list(process.documents.all())
    buyer = parties.role(process.buyer, "buyer")
    release: dict[str, Any] = {
        "ocid": process.ocid,
        "id": release_id,
        "date": ocds_datetime(date),
        "tag": list(tags),
        "initiationType": "tender",
        "language": "en",
        "buyer": buyer,
    }
    if process.budget is not None or process.project_name or process.funding_source:
        release["planning"] = _planning(process, documents)
    release["tender"] = _tender(process, documents, parties)
    awards = [_award(award, documents, parties) for award in process.awards.all()]
    if awards:
        release["awards"] = awards
    contracts = [_contract(contract, documents, parties) for contract in process.contracts.all()]
    if contracts:
        release["contracts"] = contracts
    release["parties"] = list(parties.parties.values())
    return release


def _planning(process: ContractingProcess, documents: list[Document]) -> dict[str, Any]:
    """The planning section: the budget, its funding source and fiscal year, and planning documents."""
    budget = _compact(
        {
            "id": f"budget-{process.pk}",
            "description": " ".join(
                part
                for part in [process.funding_source, f"FY{process.fiscal_year}" if process.fiscal_year else ""]
                if part
            ),
            "amount": process.budget.as_ocds() if process.budget is not None else None,
            "project": process.project_name,
            "projectID": process.plan_number,
        }
    )
    return _compact(
        {"budget": budget, "documents": _documents(documents, ["planning"]), "rationale": process.description}
    )


def _tender(process: ContractingProcess, documents: list[Document], parties: _Parties) -> dict[str, Any]:
    """The tender section: the process's method, and the tender's periods, items, tenderers and amendments."""
    tender_data: dict[str, Any] = {
        "id": f"{process.ocid}-tender",
        "title": process.title,
        "procuringEntity": parties.role(process.procuring_entity, "procuringEntity"),
        "mainProcurementCategory": process.main_category,
        "procurementMethod": process.method,
        "procurementMethodDetails": process.method_details,
    }
    tender = Tender.objects.prefetch_related("items", "bids__tenderer", "amendments").filter(process=process).first()
    if tender is not None:
        tenderers = []
        for bid in tender.bids.all():
            if bid.status != BidStatus.WITHDRAWN:
                ref = parties.role(bid.tenderer, "tenderer")
                if ref not in tenderers:
                    tenderers.append(ref)
        tender_data.update(
            {
                "id": f"tender-{tender.pk}",
                "title": tender.title,
                "description": tender.description,
                "status": tender.status,
                "value": tender.estimated_value.as_ocds() if tender.estimated_value is not None else None,
                "awardCriteria": tender.award_criteria,
                "tenderPeriod": _period(tender.tender_start, tender.tender_end),
                "enquiryPeriod": _period(tender.enquiry_start, tender.enquiry_end),
                "awardPeriod": _period(tender.award_start, tender.award_end),
                "items": [_item(item) for item in tender.items.all()],
                "tenderers": tenderers,
                "numberOfTenderers": len(tenderers),
                "amendments": _amendments(tender.amendments.all()),
            }
        )
    tender_data["documents"] = _documents(documents, ["tender"])
    return _compact(tender_data)


def _item(item: TenderItem) -> dict[str, Any]:
    """One tender item, with its classification, quantity (an integer when whole) and unit."""
    return _compact(
        {
            "id": f"item-{item.pk}",
            "description": item.description,
            "classification": _compact(
                {
                    "scheme": item.classification_scheme,
                    "id": item.classification_id,
                    "description": item.classification_description,
                }
            )
            or None,
            "quantity": float(item.quantity)
            if item.quantity != item.quantity.to_integral_value()
            else int(item.quantity),
            "unit": {"name": item.unit} if item.unit else None,
        }
    )


def _award(award: Award, documents: list[Document], parties: _Parties) -> dict[str, Any]:
    """One award, with its suppliers."""
    return _compact(
        {
            "id": f"award-{award.pk}",
            "title": award.title,
            "status": award.status,
            "date": ocds_datetime(award.date),
            "value": award.value.as_ocds(),
            "suppliers": [parties.role(org, "supplier") for org in award.suppliers.all()],
            "documents": _documents(documents, ["award"]),
        }
    )


def _contract(contract: Contract, documents: list[Document], parties: _Parties) -> dict[str, Any]:
    """One contract, with its milestones, amendments and payments (the implementation's transactions)."""
    transactions = [
        _compact(
            {
                "id": f"payment-{payment.pk}",
                "date": ocds_datetime(payment.date),
                "value": payment.value.as_ocds(),
                "payer": parties.role(payment.payer, "payer"),
                "payee": parties.role(payment.payee, "payee"),
            }
        )
        for payment in contract.payments.all()
    ]
    milestones = [
        _compact(
            {
                "id": f"milestone-{m.pk}",
                "title": m.title,
                "type": m.type,
                "code": m.code,
                "dueDate": ocds_datetime(m.due_date),
                "dateMet": ocds_datetime(m.date_met),
                "status": m.status,
            }
        )
        for m in contract.milestones.all()
    ]
    return _compact(
        {
            "id": f"contract-{contract.pk}",
            "awardID": f"award-{contract.award_id}",
            "title": contract.title,
            "description": f"Contract no. {contract.number}" if contract.number else None,
            "status": contract.status,
            "period": _period(contract.period_start, contract.period_end),
            "value": contract.value.as_ocds(),
            "dateSigned": ocds_datetime(contract.signed_on),
            "milestones": milestones,
            "documents": _documents(documents, ["contract"]),
            "amendments": _amendments(contract.amendments.all()),
            "implementation": _compact(
                {"transactions": transactions, "documents": _documents(documents, ["implementation"])}
            )
            or None,
        }
    )


def release_package(releases: Iterable[OcdsRelease], *, uri: str) -> dict[str, Any]:
    """An OCDS release package of stored releases (payloads as stored, oldest first)."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": ocds_datetime(timezone.now()),
        "publisher": {"name": PUBLISHER_NAME},
        "license": LICENSE_URL,
        "releases": [release.payload for release in releases],
    }


def compiled_release(releases: Sequence[OcdsRelease]) -> dict[str, Any]:
    """The compiled release of one ocid: every release is a full snapshot, so it is the latest, tagged compiled."""
    latest = releases[-1].payload
    return {**latest, "id": f"{latest['ocid']}-compiled", "tag": ["compiled"]}


def record_package(releases: Iterable[OcdsRelease], *, uri: str) -> dict[str, Any]:
    """An OCDS record package: one record per ocid with its releases embedded and the compiled release."""
    by_ocid: dict[str, list[OcdsRelease]] = {}
    for release in releases:
        by_ocid.setdefault(release.ocid, []).append(release)
    records = [
        {
            "ocid": ocid,
            "releases": [r.payload for r in items],
            "compiledRelease": compiled_release(items),
        }
        for ocid, items in by_ocid.items()
    ]
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": ocds_datetime(timezone.now()),
        "publisher": {"name": PUBLISHER_NAME},
        "license": LICENSE_URL,
        "records": records,
    }
