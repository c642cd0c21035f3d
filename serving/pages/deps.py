"""What the page routes are handed, as ``Annotated`` aliases (as :mod:`serving.deps` does for
the API): the pages' share of the app (:class:`PageService`, which :func:`serving.pages.install`
puts on the app) and the posted form of each page, read once."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from serving.routes.recommendations import Scorer
from serving.settings import Settings


@dataclass(frozen=True)
class PageService:
    """What the pages of one app share: its settings, the scorer that runs one factory through
    the loaded model exactly as the API does, and the slots bounding the uploads parsed,
    verifications run and PDFs rendered at once (in threads or renderer processes, off the
    event loop)."""

    settings: Settings
    score: Scorer
    slots: threading.BoundedSemaphore


@dataclass(frozen=True)
class Posted:
    """A posted page form: its text fields, and the chosen file of its one file input (None
    when no file was chosen)."""

    fields: dict[str, str]
    upload: UploadFile | None


async def _page_service(request: Request) -> PageService:
    pages: PageService = request.app.state.pages
    return pages


async def read_form(request: Request, file_input: str) -> Posted:
    """The form's text fields, and the file chosen in ``file_input`` if one was (any other
    file is closed unread)."""
    data = await request.form()
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in data.multi_items():
        if isinstance(value, UploadFile):
            if name == file_input and value.filename and upload is None:
                upload = value
            else:
                await value.close()
        else:
            fields[name] = value
    return Posted(fields, upload)


async def _profile_form(request: Request) -> Posted:
    return await read_form(request, "profile_file")


async def _meter_form(request: Request) -> Posted:
    return await read_form(request, "meter_file")


#: The pages' shared parts (:class:`PageService`).
Pages = Annotated[PageService, Depends(_page_service)]
#: The posted profile form (``profile_file`` its upload).
ProfileForm = Annotated[Posted, Depends(_profile_form)]
#: The posted verification form (``meter_file`` its upload).
MeterForm = Annotated[Posted, Depends(_meter_form)]
