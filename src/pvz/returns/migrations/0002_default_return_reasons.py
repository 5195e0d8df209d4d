"""The default return reasons, used for every partner without a list of its own."""

from django.db import migrations

DEFAULT_REASONS = (
    ("wrong_size", "Не подошёл размер"),
    ("defect", "Брак / повреждение"),
    ("not_as_described", "Не соответствует описанию"),
    ("changed_mind", "Передумал"),
    ("wrong_item", "Пришёл не тот товар"),
)


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    for position, (code, title) in enumerate(DEFAULT_REASONS, start=1):
        ReturnReason.objects.get_or_create(
            partner=None, code=code, defaults={"title": title, "position": position}
        )


def unseed(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    ReturnReason.objects.filter(partner=None, code__in=[code for code, _ in DEFAULT_REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_customer_returns")]

    operations = [migrations.RunPython(seed, unseed)]
