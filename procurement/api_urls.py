"""REST routes of the procurement app (mounted under /api/v1/procurement/)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import DefaultRouter

from procurement import api

app_name = "procurement"

router = DefaultRouter()
router.include_root_view = False
router.register("processes", api.ProcessViewSet, basename="process")
router.register("tenders", api.TenderViewSet, basename="tender")
router.register("bids", api.BidViewSet, basename="bid")
router.register("awards", api.AwardViewSet, basename="award")
router.register("contracts", api.ContractViewSet, basename="contract")
router.register("milestones", api.MilestoneViewSet, basename="milestone")
router.register("amendments", api.AmendmentViewSet, basename="amendment")
router.register("payments", api.PaymentViewSet, basename="payment")
router.register("documents", api.DocumentViewSet, basename="document")
router.register("exchange-rates", api.ExchangeRateViewSet, basename="exchange-rate")

urlpatterns: list[URLPattern | URLResolver] = [
    path("ocds/releases/", api.OcdsReleasePackageApi.as_view(), name="ocds-releases"),
    path("ocds/records/", api.OcdsRecordPackageApi.as_view(), name="ocds-records"),
    *router.urls,
]
