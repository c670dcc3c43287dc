"""The waitlist (DESIGN.md 3.4), and the beat schedule of its sweep (entries whose start has passed expire)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TASKS = [("scheduling: expire waitlist entries", "scheduling.tasks.waitlist_expire_task", 5)]


def create_tasks(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in TASKS:
        schedule, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": schedule})


def delete_tasks(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0005_job_batches'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_at', models.DateTimeField(verbose_name='start')),
                ('ends_at', models.DateTimeField(verbose_name='end')),
                ('purpose', models.CharField(blank=True, max_length=500, verbose_name='purpose')),
                ('status', models.CharField(choices=[('waiting', 'Waiting'), ('booked', 'Booked'), ('expired', 'Expired'), ('left', 'Left')], default='waiting', max_length=8, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('backend', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist', to='scheduling.backend', verbose_name='backend')),
                ('booking', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='waitlist_entry', to='scheduling.booking', verbose_name='booking')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist', to='scheduling.project', verbose_name='project')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'waitlist entry',
                'verbose_name_plural': 'waitlist entries',
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['backend', 'status', 'starts_at'], name='scheduling__backend_50292c_idx'), models.Index(fields=['user', 'status'], name='scheduling__user_id_3f711a_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='waitlist_end_after_start'), models.CheckConstraint(condition=models.Q(('status__in', ['waiting', 'booked', 'expired', 'left'])), name='waitlist_status_valid'), models.CheckConstraint(condition=models.Q(models.Q(('booking__isnull', False), ('status', 'booked')), models.Q(models.Q(('status', 'booked'), _negated=True), ('booking__isnull', True)), _connector='OR'), name='waitlist_booked_has_booking'), models.CheckConstraint(condition=models.Q(models.Q(('closed_at__isnull', True), ('status', 'waiting')), models.Q(models.Q(('status', 'waiting'), _negated=True), ('closed_at__isnull', False)), _connector='OR'), name='waitlist_closed_has_time'), models.UniqueConstraint(condition=models.Q(('status', 'waiting')), fields=('user', 'backend', 'starts_at', 'ends_at'), name='waitlist_one_waiting_per_slot')],
            },
        ),
        migrations.RunPython(create_tasks, delete_tasks),
    ]
