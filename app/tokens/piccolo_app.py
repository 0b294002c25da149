import os

from piccolo.conf.apps import AppConfig

from .tables import ApiToken

APP_CONFIG = AppConfig(
    app_name="tokens",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[ApiToken],
)
