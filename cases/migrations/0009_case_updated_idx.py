from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_due_key_all_statuses"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["updated_at"], name="case_updated_idx"),
        ),
    ]
