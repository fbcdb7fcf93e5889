"""
The staff roles as groups: editor, reviewer and viewer.

Superusers are the fourth role. Rights over regions come from each
account's region assignments, checked in the admin; these groups say which
kinds of record a role may see, add, change or review.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    ("metrics", model)
    for model in ["region", "source", "metric", "observation", "validationrule", "reviewstep"]
] + [
    ("programs", model)
    for model in [
        "organisation",
        "sector",
        "program",
        "partnership",
        "programsource",
        "outcome",
        "activity",
    ]
]
EDITED = [
    ("metrics", "observation"),
    ("programs", "program"),
    ("programs", "partnership"),
    ("programs", "programsource"),
    ("programs", "outcome"),
    ("programs", "activity"),
]
SHARED_REFERENCES = [("metrics", "source"), ("programs", "organisation")]

ROLES = {
    "viewer": [f"{app}.view_{model}" for app, model in VIEW_ALL],
    "editor": [f"{app}.view_{model}" for app, model in VIEW_ALL]
    + [f"{app}.{action}_{model}" for app, model in EDITED for action in ("add", "change", "delete")]
    + [f"{app}.{action}_{model}" for app, model in SHARED_REFERENCES for action in ("add", "change")]
    + ["metrics.import_observation"],
    # Reviewers publish; they also keep published program texts up to date
    # in place (figures are corrected through review instead).
    "reviewer": [f"{app}.view_{model}" for app, model in VIEW_ALL]
    + [
        "metrics.review_observation",
        "programs.change_program",
        "programs.review_program",
    ]
    + [
        f"programs.{action}_{model}"
        for model in ["partnership", "programsource", "outcome", "activity"]
        for action in ("add", "change", "delete")
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLES.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            # A permission that later migrations of the other app have already
            # retired (migrations of two apps interleave) is skipped: programs
            # 0008 clears the roles' permissions in any case.
            permissions += Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0002_review_workflow"),
        ("metrics", "0003_review_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
