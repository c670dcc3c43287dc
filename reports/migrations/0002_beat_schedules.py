"""Beat schedules of the reports app: monthly reports (1st, 02:00 Asia/Seoul) and the stale-report sweeper."""

import json

from django.db import migrations

MONTHLY = [
    ("reports: monthly utilization", "utilization"),
    ("reports: monthly office activity", "office_activity"),
]
SWEEPER = "reports: requeue stale reports"


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    monthly, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_month="1", month_of_year="*", day_of_week="*", timezone="Asia/Seoul"
    )
    for name, kind in MONTHLY:
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": "reports.tasks.report_monthly_task",
                "crontab": monthly,
                "kwargs": json.dumps({"kind": kind, "time_zone": "Asia/Seoul"}),
                "queue": "reports",
                "description": "Last month's report, e-mailed as PDF to REPORTS_EMAIL_TO.",
            },
        )
    every_five, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SWEEPER,
        defaults={
            "task": "reports.tasks.report_requeue_stale_task",
            "interval": every_five,
            "queue": "reports",
            "description": "Queue again reports stuck in running or pending (worker or message lost).",
        },
    )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _ in MONTHLY] + [SWEEPER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
