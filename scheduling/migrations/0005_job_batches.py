"""Jobs become batches of circuits (JobCircuit; every existing job gets its one circuit), record an error code,
their estimated QPU seconds and the worker running them; booking policies cap queued jobs per project; a beat
task looks for running jobs whose worker is gone every 30 seconds."""

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 2000
STRANDED_TASK = ("scheduling: recover stranded jobs", "scheduling.tasks.job_recover_stranded_task", 30)


def one_circuit_per_job(apps, schema_editor):
    Job = apps.get_model("scheduling", "Job")
    JobCircuit = apps.get_model("scheduling", "JobCircuit")
    fields = ("pk", "name", "qasm", "depth", "prx_count", "cz_count", "seed", "counts", "status")
    batch = []
    for job in Job.objects.order_by("pk").values(*fields).iterator(chunk_size=CHUNK):
        completed = job["status"] == "completed"
        batch.append(
            JobCircuit(
                job_id=job["pk"],
                index=0,
                name=job["name"],
                qasm=job["qasm"],
                depth=job["depth"],
                prx_count=job["prx_count"],
                cz_count=job["cz_count"],
                seed=job["seed"] if completed else None,
                counts=job["counts"] if completed else None,
            )
        )
        if len(batch) >= CHUNK:
            JobCircuit.objects.bulk_create(batch)
            batch = []
    JobCircuit.objects.bulk_create(batch)
    Job.objects.filter(status="failed").update(error_code="simulation_error")
    Job.objects.filter(status="cancelled", cancel_reason="user").update(error_code="cancelled_by_user")
    Job.objects.filter(status="cancelled").exclude(cancel_reason="user").update(error_code="booking_ended")


def create_tasks(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    name, task, seconds = STRANDED_TASK
    schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": schedule})


def delete_tasks(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=STRANDED_TASK[0]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_job_sweepers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobCircuit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("index", models.PositiveIntegerField(verbose_name="index")),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="name")),
                ("qasm", models.TextField(verbose_name="OpenQASM source")),
                ("depth", models.PositiveIntegerField(blank=True, null=True, verbose_name="depth")),
                ("prx_count", models.PositiveIntegerField(blank=True, null=True, verbose_name="PRX gates")),
                ("cz_count", models.PositiveIntegerField(blank=True, null=True, verbose_name="CZ gates")),
                ("duration_ns", models.FloatField(blank=True, null=True, verbose_name="duration (ns)")),
                ("compiled", models.BinaryField(blank=True, null=True, verbose_name="transpiled circuit (QPY)")),
                ("seed", models.BigIntegerField(blank=True, null=True, verbose_name="seed")),
                ("counts", models.JSONField(blank=True, null=True, verbose_name="counts")),
            ],
            options={
                "verbose_name": "job circuit",
                "verbose_name_plural": "job circuits",
                "ordering": ["job", "index"],
            },
        ),
        migrations.AddField(
            model_name="bookingpolicy",
            name="max_queued_jobs",
            field=models.PositiveIntegerField(
                db_default=20, default=20, verbose_name="queued and running jobs per project"
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="error_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("time_limit", "Ran past the time limit"),
                    ("worker_lost", "Its worker died more times than allowed"),
                    ("booking_ended", "Its booking ended"),
                    ("booking_cancelled", "Its booking was cancelled"),
                    ("outage", "An outage of the backend"),
                    ("simulation_error", "The simulation failed"),
                    ("cancelled_by_user", "Cancelled by the user"),
                ],
                db_default="",
                default="",
                max_length=20,
                verbose_name="error code",
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="estimated_qpu_seconds",
            field=models.FloatField(blank=True, null=True, verbose_name="estimated QPU seconds"),
        ),
        migrations.AddField(
            model_name="job",
            name="worker",
            field=models.CharField(blank=True, db_default="", default="", max_length=255, verbose_name="worker"),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["project", "backend", "status"], name="scheduling__project_86a7d2_idx"),
        ),
        migrations.AddConstraint(
            model_name="bookingpolicy",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_queued_jobs__gt", 0)), name="policy_queue_cap_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="job",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("estimated_qpu_seconds__isnull", True), ("estimated_qpu_seconds__gte", 0), _connector="OR"
                ),
                name="job_estimate_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="job",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("error_code", ""),
                    (
                        "error_code__in",
                        [
                            "time_limit",
                            "worker_lost",
                            "booking_ended",
                            "booking_cancelled",
                            "outage",
                            "simulation_error",
                            "cancelled_by_user",
                        ],
                    ),
                    _connector="OR",
                ),
                name="job_error_code_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="job",
            constraint=models.CheckConstraint(
                condition=models.Q(("error_code", ""), ("status__in", ["failed", "cancelled"]), _connector="OR"),
                name="job_error_code_only_when_finished_badly",
            ),
        ),
        migrations.AddField(
            model_name="jobcircuit",
            name="job",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="circuits",
                to="scheduling.job",
                verbose_name="job",
            ),
        ),
        migrations.AddConstraint(
            model_name="jobcircuit",
            constraint=models.UniqueConstraint(fields=("job", "index"), name="job_circuit_index_unique"),
        ),
        migrations.AddConstraint(
            model_name="jobcircuit",
            constraint=models.CheckConstraint(
                condition=models.Q(("index__lt", 500)), name="job_circuit_index_in_range"
            ),
        ),
        migrations.AddConstraint(
            model_name="jobcircuit",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_ns__isnull", True), ("duration_ns__gte", 0), _connector="OR"),
                name="job_circuit_duration_not_negative",
            ),
        ),
        migrations.RunPython(one_circuit_per_job, migrations.RunPython.noop),
        migrations.RunPython(create_tasks, delete_tasks),
    ]
