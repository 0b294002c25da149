import os

from piccolo.conf.apps import AppConfig

from .tables import RefreshToken, User

APP_CONFIG = AppConfig(
    app_name="auth",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[User, RefreshToken],
)
