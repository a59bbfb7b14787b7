from django.db import migrations, models

# The starting menu's wish item (practice.catalogue); until now the web form could not tell it
# from an ordinary service, so services of this name become wish items.
WISH_SERVICE_NAME = "微心愿"


def mark_wish_services(apps, schema_editor):
    Service = apps.get_model("practice", "Service")
    Service.objects.filter(name=WISH_SERVICE_NAME).update(is_wish=True)


def unmark_wish_services(apps, schema_editor):
    Service = apps.get_model("practice", "Service")
    Service.objects.filter(is_wish=True).update(is_wish=False)


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0004_center_dispatch_off_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="is_wish",
            field=models.BooleanField(
                default=False,
                help_text="勾选后，群众选择此项目发布的是微心愿：上微心愿墙，由爱心人士认领。",
                verbose_name="微心愿项目",
            ),
        ),
        migrations.RunPython(mark_wish_services, unmark_wish_services),
    ]
