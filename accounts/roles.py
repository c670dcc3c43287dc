"""The staff groups and the model permissions each one holds.

Keys are `app_label` (every model of the app) or `app_label.model`; values are permission actions.
Delete is granted nowhere: records others depend on are never hard-deleted.
"""

FACILITY_MANAGERS = "Facility managers"
PROCUREMENT_OFFICERS = "Procurement officers"
OFFICE_STAFF = "Office staff"

EDIT = ("view", "add", "change")
VIEW = ("view",)

ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    FACILITY_MANAGERS: {
        "facility": EDIT,
        "scheduling": EDIT,
        "reports": EDIT,
        "django_celery_beat": EDIT,
        "accounts.user": VIEW,
        "core.workerheartbeat": VIEW,
    },
    PROCUREMENT_OFFICERS: {
        "procurement": EDIT,
        "facility.organization": EDIT,
        "reports.report": ("view", "add"),
    },
    OFFICE_STAFF: {
        "facility.regionaloffice": EDIT,
        "facility.officestaff": EDIT,
        "facility.officeactivity": EDIT,
        "facility.workorder": ("view", "change"),
        "facility.organization": VIEW,
        "facility.site": VIEW,
        "facility.equipment": VIEW,
        "reports.report": ("view", "add"),  # office activity reports (reports.access)
    },
}
