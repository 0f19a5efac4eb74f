"""The OpenAPI page documents every endpoint of the people domains, with examples for every body."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from servicebank.app import create_app
from tests.conftest import make_settings

OWN_MODULES = ("servicebank.org.", "servicebank.accounts.", "servicebank.volunteers.", "servicebank.audit.")


def test_every_people_endpoint_has_a_description_and_body_examples() -> None:
    app = create_app(make_settings())
    schema = app.openapi_schema.to_schema()
    own = [(route.path, method.lower()) for route in app.routes if isinstance(route, HTTPRoute)
           for handler in route.route_handlers if handler.fn.__module__.startswith(OWN_MODULES)
           for method in handler.http_methods]
    assert len(own) >= 40
    for path, method in own:
        operation = schema["paths"][re.sub(r":\w+}", "}", path)][method]
        assert operation.get("description"), f"{method} {path} has no description"
        body = operation.get("requestBody")
        if body and "multipart/form-data" not in body["content"]:
            content = body["content"]["application/json"]
            assert content.get("examples") or content["schema"].get("examples"), f"{method} {path}: no example"
