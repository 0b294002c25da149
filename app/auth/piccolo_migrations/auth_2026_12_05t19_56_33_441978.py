from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T19:56:33:441978"
VERSION = "1.38.0"
DESCRIPTION = "login throttling moved to app/auth/throttle.py (per email and client address, in memory)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    manager.drop_column(
        table_class_name="User",
        tablename="users",
        column_name="failed_logins",
        db_column_name="failed_logins",
        schema=None,
    )

    manager.drop_column(
        table_class_name="User",
        tablename="users",
        column_name="locked_until",
        db_column_name="locked_until",
        schema=None,
    )

    return manager
