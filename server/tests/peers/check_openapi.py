"""Judges GenoBridge's /api/openapi.json with tools that are not GenoBridge's code.

Reads JSON on stdin: {"document": <the OpenAPI document>, "cookie": <session cookie name>,
"exchanges": [{"method", "url", "status", "content_type", "body"}, ...]}.

1. openapi-spec-validator validates the document against the OpenAPI 3.x specification
   (the schema of the version the document declares, plus its semantic checks).
2. openapi-core checks every exchange, a request the test made to the running server and
   the answer it got: the request must match a documented operation and its parameters,
   and the answer's status, content type and body must match that operation's response.
   For this check every named object schema is closed (`unevaluatedProperties: false`),
   so an answer carrying a field the document does not name fails too.

Prints {"openapi": version, "checked": n} and exits 0, or prints every error and exits 1.
"""

import copy
import json
import sys
from urllib.parse import parse_qsl, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


def text(value, **_parameters):
    return value.decode("utf-8")


def explain(error):
    """The error and its causes, with the schema errors openapi-core keeps."""
    parts = []
    while error is not None:
        parts.append(f"{type(error).__name__}: {error}")
        parts += [str(c) for c in getattr(error, "schema_errors", None) or []]
        error = error.__cause__
    return " <- ".join(parts)


def closed(document):
    """A copy whose component object schemas admit only the properties they name. Schemas
    that are parts of an `allOf` stay open (a part cannot see its siblings' properties);
    the schema that combines them is closed instead."""
    document = copy.deepcopy(document)
    schemas = document.get("components", {}).get("schemas", {})
    parts = {
        part["$ref"].rsplit("/", 1)[-1]
        for schema in schemas.values()
        for part in schema.get("allOf", [])
        if "$ref" in part
    }
    for name, schema in schemas.items():
        if name not in parts and ("properties" in schema or "allOf" in schema):
            schema["unevaluatedProperties"] = False
    return document


def main():
    given = json.load(sys.stdin)
    document = given["document"]
    try:
        validate(document)
    except OpenAPIValidationError as e:
        print(f"openapi-spec-validator: {e}", file=sys.stderr)
        sys.exit(1)

    # A mapping's file (application/toml) is documented as text: read it as text.
    config = Config(extra_media_type_deserializers={"application/toml": text})
    api = OpenAPI.from_dict(closed(document), config=config)
    errors = []
    for x in given.get("exchanges", []):
        url = urlsplit(x["url"])
        host = f"{url.scheme}://{url.netloc}"
        what = f'{x["method"].upper()} {url.path}{"?" + url.query if url.query else ""}'
        request = MockRequest(
            host,
            x["method"],
            url.path,
            args=dict(parse_qsl(url.query)),
            cookies={given["cookie"]: "session"} if x.get("signed_in") else None,
        )
        response = MockResponse(
            x["body"].encode(),
            status_code=x["status"],
            content_type=x["content_type"],
        )
        checks = [("response", lambda: api.validate_response(request, response))]
        if x.get("signed_in"):
            # Without the cookie the request is refused by design (401): only its answer
            # is checked.
            checks.insert(0, ("request", lambda: api.validate_request(request)))
        for step, check in checks:
            try:
                check()
            except Exception as e:  # every openapi-core error says what did not match
                errors.append(f"{what} -> {x['status']}: {step}: {explain(e)}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    json.dump({"openapi": document.get("openapi"), "checked": len(given.get("exchanges", []))},
              sys.stdout)


if __name__ == "__main__":
    main()
