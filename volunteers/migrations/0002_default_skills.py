from django.db import migrations

# The starting list; city cadres edit it in the admin afterwards.
DEFAULT_SKILLS = [
    "课业辅导",
    "医疗护理",
    "法律服务",
    "心理咨询",
    "驾驶",
    "宣讲授课",
    "文艺演出与培训",
    "信息技术",
    "健身指导",
    "家政与生活照料",
]


def add_default_skills(apps, schema_editor):
    Skill = apps.get_model("volunteers", "Skill")
    for order, name in enumerate(DEFAULT_SKILLS, start=1):
        Skill.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]

    operations = [migrations.RunPython(add_default_skills, migrations.RunPython.noop)]
