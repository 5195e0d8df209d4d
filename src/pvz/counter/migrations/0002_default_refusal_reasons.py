"""The default refusal reasons, used for every partner without a list of its own."""

from django.db import migrations

DEFAULT_REASONS = (
    ("wrong_size", "Не подошёл размер"),
    ("disliked", "Не понравился товар"),
    ("defect", "Брак / повреждение"),
    ("not_as_described", "Не соответствует описанию"),
    ("changed_mind", "Передумал"),
)


def seed(apps, schema_editor):
    RefusalReason = apps.get_model("counter", "RefusalReason")
    for position, (code, title) in enumerate(DEFAULT_REASONS, start=1):
        RefusalReason.objects.get_or_create(
            partner=None, code=code, defaults={"title": title, "position": position}
        )


def unseed(apps, schema_editor):
    RefusalReason = apps.get_model("counter", "RefusalReason")
    RefusalReason.objects.filter(partner=None, code__in=[code for code, _ in DEFAULT_REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("counter", "0001_issue_sessions")]

    operations = [migrations.RunPython(seed, unseed)]
