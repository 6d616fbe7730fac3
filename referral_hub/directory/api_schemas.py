"""Response Structs of the HSDS API that are not HSDS objects themselves."""

from __future__ import annotations

from typing import Final

import msgspec

HSDS_VERSION: Final = "3.1"
# No HSDS profile narrows this API, so the profile it conforms to is the base specification itself
# (HSDS "Profiles Reference": the `/` endpoint names the canonical URI of the profile).
HSDS_PROFILE_URL: Final = "https://docs.openreferral.org/en/3.1/"


class ApiInfo(msgspec.Struct, kw_only=True):
    """The answer of `GET /hsds/` (HSDS 3.1 openapi.json, operation `getAPIMetaInformation`)."""

    version: str
    profile: str
    openapi_url: str
