"""Store the sanitised HTML of stories and update bodies, so pages stop rendering Markdown per request,
and add the page_version that keys the initiative page's cached fragments.

The columns are nullable on purpose: NULL means "not rendered yet" (the models render such rows on
the spot) or "no change yet", and on SQLite a nullable column without a default is added with
ALTER TABLE ADD COLUMN.
A NOT NULL column would make Django rebuild initiatives_initiative, which drops the FTS triggers
that 0003_search put on it.
"""

from django.db import migrations, models

BATCH = 200


def render_existing(apps, schema_editor):
    # render_markdown is the one sanitiser; the stored HTML must be exactly what it produces today.
    from samen.core.text import render_markdown

    alias = schema_editor.connection.alias
    for model_name, source, html in [
        ("Initiative", "story", "story_rendered"),
        ("Update", "body", "body_rendered"),
    ]:
        model = apps.get_model("initiatives", model_name)
        rows = model.objects.using(alias).only("pk", source).order_by("pk")
        batch = []
        for row in rows.iterator(chunk_size=BATCH):
            setattr(row, html, str(render_markdown(getattr(row, source))))
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.using(alias).bulk_update(batch, [html])
                batch = []
        model.objects.using(alias).bulk_update(batch, [html])


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0004_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiative",
            name="story_rendered",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="update",
            name="body_rendered",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="initiative",
            name="page_version",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        # Going back drops the columns, so there is nothing to undo.
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
