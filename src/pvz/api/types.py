"""Field types shared by the API's request schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from pvz.core.instants import instant_storable

InstantIn = Annotated[dt.datetime, AfterValidator(instant_storable)]
