import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_updated_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="last_customer_contact_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="case",
            name="source",
            field=models.CharField(
                choices=[("form", "Web form"), ("api", "API"), ("email", "Email")],
                default="form",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("raised", "Raised"),
                    ("acknowledged", "Acknowledged"),
                    ("assigned", "Assigned"),
                    ("status", "Status changed"),
                    ("severity", "Severity changed"),
                    ("note", "Internal note"),
                    ("update", "Customer update"),
                    ("linked", "Linked"),
                    ("attachment", "Attachment added"),
                    ("watcher", "Watchers changed"),
                    ("resolved", "Resolved"),
                    ("reopened", "Reopened"),
                    ("closed", "Closed"),
                    ("root_cause", "Root cause changed"),
                    ("edited", "Details edited"),
                    ("sla_warning", "SLA warning"),
                    ("sla_breach", "SLA breached"),
                    ("escalated", "Escalated"),
                    ("review", "Review"),
                    ("satisfaction", "Customer satisfaction"),
                    ("customer_message", "Customer message"),
                ],
                max_length=20,
            ),
        ),
    ]
