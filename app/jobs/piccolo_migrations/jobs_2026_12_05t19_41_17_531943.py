from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar
from piccolo.table import Table

ID = "2026-12-05T19:41:17:531943"
VERSION = "1.38.0"
DESCRIPTION = "style is free text checked against effects.STYLES, stored as the lowercase style name"


class ImageJob(Table, tablename="image_jobs"):
    pass


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="jobs", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ImageJob",
        tablename="image_jobs",
        column_name="style",
        db_column_name="style",
        params={"length": 50, "choices": None},
        old_params={
            "length": 20,
            "choices": Enum(
                "JobStyle",
                {
                    "CARTOON": "CARTOON",
                    "SKETCH": "SKETCH",
                    "COLOR_PENCIL": "COLOR_PENCIL",
                    "OIL_PAINTING": "OIL_PAINTING",
                    "WATERCOLOR": "WATERCOLOR",
                    "POP_ART": "POP_ART",
                },
            ),
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def lowercase_styles():
        await ImageJob.raw("UPDATE image_jobs SET style = lower(style)")

    manager.add_raw(lowercase_styles)

    return manager
