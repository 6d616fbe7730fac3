"""Locations without coordinates are geocoded at import: a geocoder service, else the ZIP centroid."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from directory_import.pipeline import import_source
from referral_hub.directory.models import LocationRecord
from referral_hub.geo.geocoder import build_geocoder
from referral_hub.geo.zip_centroids import zip_centroid

pytestmark = pytest.mark.anyio

ORG = "5b1c4d2e-1111-4000-8000-000000000001"


class Nominatim(BaseHTTPRequestHandler):
    """Knows one street, as Nominatim's /search answers it; counts the requests it gets."""

    requests: list[str] = []

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        type(self).requests.append(params.get("street", ""))
        found = params.get("street", "").casefold() == "1 main st"
        body = (
            [{"lat": "39.2904", "lon": "-76.6122", "display_name": "1 Main St", "place_rank": 30}]
            if found
            else []
        )
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def nominatim() -> Iterator[str]:
    Nominatim.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"nominatim:http://127.0.0.1:{server.server_address[1]}?min_delay=0"
    finally:
        server.shutdown()
        server.server_close()


def location(number: int, street: str, postal_code: str) -> dict[str, object]:
    uid = f"5b1c4d2e-2222-4000-8000-00000000000{number}"
    return {
        "id": uid,
        "name": f"Site {number}",
        "location_type": "physical",
        "organization_id": ORG,
        "addresses": [
            {
                "id": f"5b1c4d2e-3333-4000-8000-00000000000{number}",
                "location_id": uid,
                "address_1": street,
                "city": "Baltimore",
                "state_province": "MD",
                "postal_code": postal_code,
                "country": "US",
                "address_type": "physical",
            }
        ],
    }


async def test_a_geocoder_then_the_zip_centroid_then_a_report(
    engine: AsyncEngine, nominatim: str, tmp_path: Path
) -> None:
    organization = {
        "id": ORG,
        "name": "Harbor Pantry",
        "description": "Food pantry",
        "locations": [
            location(1, "1 Main St", "21201"),
            location(2, "9 Nowhere Ln", "21215"),
            location(3, "5 Lost Rd", "00000"),
        ],
    }
    (tmp_path / "organization.json").write_text(json.dumps(organization))
    summary = await import_source(
        engine, str(tmp_path / "organization.json"), source_name="pantry", geocoder=build_geocoder(nominatim)
    )
    async with engine.connect() as conn:
        rows = {
            row.name: row
            for row in await conn.execute(
                select(
                    LocationRecord.name,
                    LocationRecord.latitude,
                    LocationRecord.longitude,
                    LocationRecord.geocode_method,
                    LocationRecord.coordinates_approximate,
                    LocationRecord.time_zone,
                )
            )
        }
    assert (rows["Site 1"].latitude, rows["Site 1"].geocode_method) == (39.2904, "nominatim")
    assert rows["Site 1"].coordinates_approximate is False
    assert rows["Site 1"].time_zone == "America/New_York"
    assert (rows["Site 2"].latitude, rows["Site 2"].longitude) == zip_centroid("21215")
    assert rows["Site 2"].geocode_method == "zip-centroid"
    assert rows["Site 2"].coordinates_approximate is True
    # An unknown ZIP is reported, never guessed; the state still gives the time zone.
    assert rows["Site 3"].latitude is None
    assert rows["Site 3"].time_zone == "America/New_York"
    assert any(i.source_id == location(3, "", "")["id"] and "00000" in i.reason for i in summary.issues)
    assert "1 main st" in [street.casefold() for street in Nominatim.requests]
