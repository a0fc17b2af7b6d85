"""The /api/docs page and the optional Swagger UI explorer.

ninja's default docs page is an empty canvas for Swagger UI: blank without JavaScript, loaded
from a CDN unless `ninja` is an installed app, and Swagger UI's own markup fails axe (colour
contrast, buttons nested in buttons). So /api/docs is our own page, rendered on the server from
the same OpenAPI document: every endpoint with its parameters, body fields and responses, in
plain accessible HTML. Swagger UI stays available as an opt-in explorer at /api/docs/explorer,
served from the copy inside django-ninja (never a CDN), linked as the tool it is, with /api/docs
as the conforming alternative (WCAG 2.2, conformance requirement 1).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from ninja.openapi.docs import DocsBase

from samen.core.text import render_markdown

METHODS = ("get", "post", "put", "patch", "delete")


def _translated(text: str) -> str:
    """Our summaries and descriptions are marked with gettext_noop: English in openapi.json, where
    tools expect stable text, and in the reader's language on this page. gettext("") would return
    the catalogue's header, hence the guard."""
    return gettext(text) if text else ""


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    for part in ref.removeprefix("#/").split("/"):
        schema = schema[part]
    return schema


def type_name(node: dict) -> str:
    """A short human name for a JSON Schema type: `string`, `array of string`, `PlaceIn | null`."""
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in node:
        return " | ".join(type_name(option) for option in node["anyOf"])
    if node.get("type") == "array":
        return "array of " + type_name(node.get("items", {}))
    return node.get("type", "any")


def _auth(operation: dict) -> str:
    security = operation.get("security", [])
    if not security:
        return ""
    # An empty alternative ({}) in OpenAPI security means "a token is optional".
    return "optional" if {} in security else "required"


def _body_fields(schema: dict, operation: dict) -> list[dict]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    body = _resolve(schema, content["schema"])
    required = set(body.get("required", []))
    return [
        {
            "name": name,
            "type": type_name(field),
            "required": name in required,
            "description": render_markdown(_translated(field.get("description", ""))),
        }
        for name, field in body.get("properties", {}).items()
    ]


def operations(schema: dict) -> list[dict]:
    rows = []
    for path, path_item in schema["paths"].items():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            rows.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": _translated(operation.get("summary", "")),
                    # Our own descriptions use Markdown (`code`); rendered safely like any other text.
                    "description": render_markdown(_translated(operation.get("description", ""))),
                    "auth": _auth(operation),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": parameter["in"],
                            "type": type_name(parameter.get("schema", {})),
                            "required": parameter.get("required", False),
                            "description": render_markdown(_translated(parameter.get("description", ""))),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _body_fields(schema, operation),
                    "responses": [
                        {
                            "code": code,
                            "type": type_name(
                                response.get("content", {}).get("application/json", {}).get("schema", {})
                            ),
                        }
                        for code, response in operation["responses"].items()
                    ],
                }
            )
    return rows


class SamenDocs(DocsBase):
    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        context = {
            "api": api,
            "openapi_url": self.get_openapi_url(api, kwargs),
            "explorer_url": reverse(f"{api.urls_namespace}:explorer", kwargs=kwargs),
            "operations": operations(schema),
        }
        return render(request, "api/docs.html", context)


def explorer(request: HttpRequest) -> HttpResponse:
    from .api import api  # the page describes the one API; imported here to avoid a cycle

    openapi_url = reverse(f"{api.urls_namespace}:openapi-json")
    settings = {"url": openapi_url, "layout": "BaseLayout", "deepLinking": True}
    return render(
        request,
        "api/explorer.html",
        {"api": api, "swagger_settings": settings, "docs_url": reverse(f"{api.urls_namespace}:openapi-view")},
    )
