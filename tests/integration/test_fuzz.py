"""A property-based fuzzer of the whole HTTP API (schemathesis, from the live /schema/openapi.json).

Every operation gets valid and invalid requests, logged in as a real user; the upload endpoint
gets real photos and the malformed-image corpus as its file. The properties: no 5xx, and every
response agrees with the schema (status documented, body and content type as documented).
The counts are written to test-output/fuzz-<backend>.json for the record.
"""

from __future__ import annotations

import json
import pathlib

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ROOT, new_user
from tests.imaging import photo
from tests.malformed import accepted, refused

EXAMPLES = 50  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
UPLOAD = "POST /images/transform"


def _images() -> list[tuple[str, bytes]]:
    real = [(n, photo(n).read_bytes()) for n in ("prairie_falcon.jpg", "denali.webp", "density_plot.png")]
    odd = [(n, data) for n, (data, _, _) in refused().items()] + list(accepted().items())
    return real + odd


def _with_file(case, image: tuple[str, bytes]):
    _, data = image
    if isinstance(case.body, dict):
        case.body = {**case.body, "file": data}
    return case


def test_the_api_never_answers_5xx_or_contradicts_its_schema(server, client):
    token = new_user(client)["tokens"]["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(server.url + "/schema/openapi.json")
    images = _images()
    seen = {"requests": 0, "server_errors": 0, "operations": 0, "images": len(images)}
    for result in schema.get_all_operations():
        operation = result.ok()
        seen["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if operation.label == UPLOAD:
                strategy = strategy.flatmap(lambda case: st.sampled_from(images).map(lambda img: _with_file(case, img)))

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def exercise(case) -> None:
                response = case.call(base_url=server.url, headers=headers, timeout=60)
                seen["requests"] += 1
                seen["server_errors"] += response.status_code >= 500
                case.validate_response(response, checks=CHECKS, headers=headers)

            exercise()
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    pathlib.Path(out / f"fuzz-{server.backend}.json").write_text(json.dumps(seen, indent=1))
    assert seen["server_errors"] == 0 and seen["requests"] > seen["operations"] * EXAMPLES
