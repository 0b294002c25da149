"""Dependencies of the job endpoints: the service objects made at start, and the caller's job."""

from __future__ import annotations

from litestar.datastructures import State

from app.auth.tables import User
from app.render.base import Renderer
from app.render.pool import Pool

from . import services
from .events import JobEvents
from .tables import ImageJob


def provide_pool(state: State) -> Pool:
    return state.pool


def provide_runner(state: State) -> Renderer:
    return state.runner


def provide_events(state: State) -> JobEvents:
    return state.events


async def provide_owned_job(user: User, job_id: str) -> ImageJob:
    """The job named in the path if the caller owns it; 404 otherwise (one place for the check)."""
    return await services.get_owned(user, job_id)
