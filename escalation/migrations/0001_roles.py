"""Create the three role groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Model permissions per role; pages and the API check roles through escalation.roles, these
# permissions are what the same people may do in the Django admin if made staff.
ROLE_PERMISSIONS = {
    "Operators": [
        "cases.add_case",
        "cases.view_case",
        "cases.view_customer",
        "cases.view_contact",
        "cases.view_product",
        "cases.view_category",
    ],
    "Escalation managers": [
        "cases.view_case",
        "cases.add_case",
        "cases.change_case",
        "cases.view_caseevent",
        "cases.view_team",
        "cases.change_team",
        "cases.view_customer",
        "cases.add_customer",
        "cases.change_customer",
        "cases.view_contact",
        "cases.add_contact",
        "cases.change_contact",
        "cases.view_product",
        "cases.view_category",
        "cases.view_rootcause",
        "cases.add_rootcause",
        "cases.change_rootcause",
        "sla.view_slapolicy",
        "sla.change_slapolicy",
        "sla.view_businesscalendar",
        "sla.change_businesscalendar",
        "sla.view_caseclock",
    ],
    "Executives": [
        "cases.view_case",
        "cases.view_customer",
        "cases.view_team",
        "sla.view_slapolicy",
        "sla.view_caseclock",
    ],
}


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0001_initial"),
        ("sla", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
