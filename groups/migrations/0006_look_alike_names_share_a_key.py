"""Group names are compared by their look-alike key (tenants.text.name_key), unique per tenant.

Existing groups get their key. Groups that already look alike (created before this rule) keep
their names; each one after the first gets a key made unique with its id, so nothing is lost
and no new look-alike can be added.
"""

from django.db import migrations, models

from tenants.text import name_key


def fill_name_keys(apps, schema_editor):
    Group = apps.get_model("groups", "Group")
    taken: set[tuple[int, str]] = set()
    changed = []
    for group in Group.objects.only("pk", "tenant_id", "display_name").order_by("pk").iterator():
        key = name_key(group.display_name)
        if (group.tenant_id, key) in taken:
            key = f"{key}#{group.pk}"
        taken.add((group.tenant_id, key))
        group.name_key = key
        changed.append(group)
        if len(changed) >= 2000:
            Group.objects.bulk_update(changed, ["name_key"])
            changed = []
    Group.objects.bulk_update(changed, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0005_group_external_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=1024),
            preserve_default=False,
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name="group",
            name="group_display_name_unique_per_tenant",
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(
                fields=("tenant", "name_key"), name="group_name_key_unique_per_tenant"
            ),
        ),
    ]
