"""/presets endpoints."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.di import Provide

from app.auth.deps import provide_user
from app.auth.tables import User
from app.server import openapi

from . import services
from .schemas import PresetCreate, PresetOut, PresetUpdate


class PresetController(Controller):
    path = "/presets"
    tags = ["presets"]
    dependencies = {"user": Provide(provide_user)}
    security = openapi.LOGIN

    @get("/", summary="Built-in and your own presets (of one style with ?style=)")
    async def list_presets(self, user: User, style: str | None = None) -> list[PresetOut]:
        return await services.list_for(user, style)

    @post("/", status_code=201, summary="Save a preset (params are validated against the style)")
    async def create_preset(self, user: User, data: PresetCreate) -> PresetOut:
        return await services.create(user, data.name, data.style, data.params)

    @put("/{preset_id:str}", summary="Rename a preset or change its params (built-ins are read-only)")
    async def update_preset(self, user: User, preset_id: str, data: PresetUpdate) -> PresetOut:
        return await services.update(user, preset_id, data.name, data.params)

    @delete("/{preset_id:str}", status_code=204, summary="Delete one of your presets")
    async def delete_preset(self, user: User, preset_id: str) -> None:
        await services.delete(user, preset_id)
