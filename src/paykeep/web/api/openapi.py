"""The responses of /openapi.json (API.md §12): every /v1 operation's 200 with the object (or list) it
returns, and every error status with the error envelope, so that schema-based clients and fuzzers
(Schemathesis, tests/contract/test_schemathesis.py) can check what the server really answers.

The request side comes from the wire parameter models (`body_doc` in web/api/endpoint.py). The response
objects are the wire renderers' (wire/<resource>.py `render_*`): each object is described by its `object`
value, the fields every renderer writes with a fixed type (`id`, `object`, `created`, `livemode`,
`metadata`) and its own fields by name, typed where the type never varies. An expanded field
(`expand[]`) is either an id or the object, so it is documented as both. Unknown extra fields are allowed:
the schema says what is certain, never more.
"""

from __future__ import annotations

import re
from typing import Any

ERROR_TYPES = ["invalid_request_error", "card_error", "idempotency_error", "api_error"]

# HTTP statuses the /v1 API answers with its error envelope (web/api/errors.py), and when.
ERROR_STATUSES: dict[str, str] = {
    "400": "Invalid request: a parameter (`parameter_missing`, `parameter_unknown`, `parameter_unsupported`, "
           "`parameter_invalid_*`), "
           "a state the object is not in, or an Idempotency-Key reused with other parameters.",
    "401": "No API key, or an unknown one.",
    "402": "The card was declined (for a confirm, the intent is embedded under `error`).",
    "403": "A publishable key where a secret key is required.",
    "404": "No such object in this account and mode, or an unknown URL.",
    "409": "Another request with this Idempotency-Key is still running.",
    "413": "The request body is over 1 MiB.",
    "429": "Too many requests (with `Retry-After`).",
    "503": "The storage cannot take writes right now (disk full or read-only; with `Retry-After`).",
}
# Only requests that change something can be declined, collide on an Idempotency-Key or carry a body.
_WRITE_ONLY = {"402", "409", "413"}

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_NULLABLE_INTEGER = {"type": ["integer", "null"]}
_NULLABLE_STRING = {"type": ["string", "null"]}
_OBJECT = {"type": "object"}
_NULLABLE_OBJECT = {"type": ["object", "null"]}
_EXPANDABLE = {"type": ["string", "object", "null"], "description": "An id, or the object with `expand[]`."}

# Field types shared by the objects (where a field of that name always has that type).
_COMMON: dict[str, dict[str, Any]] = {
    "id": _STRING,
    "created": _INTEGER,
    "livemode": {"type": "boolean"},
    "metadata": _OBJECT,
    "deleted": {"type": "boolean"},
    "description": _NULLABLE_STRING,
    "status": _STRING,
    "currency": _NULLABLE_STRING,
    "amount": _NULLABLE_INTEGER,
    "client_secret": _NULLABLE_STRING,
    "customer": _EXPANDABLE,
    "payment_method": _EXPANDABLE,
    "payment_intent": _EXPANDABLE,
    "setup_intent": _EXPANDABLE,
    "latest_charge": _EXPANDABLE,
    "charge": _EXPANDABLE,
    "product": _EXPANDABLE,
    "default_price": _EXPANDABLE,
    "next_action": _NULLABLE_OBJECT,
    "payment_method_types": {"type": "array", "items": _STRING},
}

# object name -> (schema name, id prefix, its fields) as the wire renderers write them.
OBJECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "customer": ("Customer", "cus_", (
        "address", "balance", "created", "currency", "default_source", "delinquent", "description", "email",
        "invoice_prefix", "invoice_settings", "livemode", "metadata", "name", "phone", "preferred_locales",
        "shipping", "tax_exempt", "test_clock", "deleted")),
    "payment_method": ("PaymentMethod", "pm_", (
        "allow_redisplay", "billing_details", "card", "created", "customer", "livemode", "metadata", "type")),
    "setup_intent": ("SetupIntent", "seti_", (
        "application", "automatic_payment_methods", "cancellation_reason", "client_secret", "created",
        "customer", "description", "flow_directions", "last_setup_error", "latest_attempt", "livemode",
        "mandate", "metadata", "next_action", "on_behalf_of", "payment_method", "payment_method_options",
        "payment_method_types", "return_url", "single_use_mandate", "status", "usage")),
    "payment_intent": ("PaymentIntent", "pi_", (
        "amount", "amount_capturable", "amount_received", "canceled_at", "cancellation_reason",
        "capture_method", "client_secret", "confirmation_method", "created", "currency", "customer",
        "description", "last_payment_error", "latest_charge", "livemode", "metadata", "next_action",
        "off_session", "payment_method", "payment_method_options", "payment_method_types", "processing",
        "receipt_email", "return_url", "setup_future_usage", "shipping", "statement_descriptor",
        "statement_descriptor_suffix", "status")),
    "charge": ("Charge", "ch_", (
        "amount", "amount_captured", "amount_refunded", "billing_details", "calculated_statement_descriptor",
        "captured", "created", "currency", "customer", "description", "disputed", "livemode", "metadata",
        "outcome", "paid", "payment_intent", "payment_method", "payment_method_details", "receipt_email",
        "refunded", "shipping", "statement_descriptor", "statement_descriptor_suffix", "status")),
    "refund": ("Refund", "re_", (
        "amount", "balance_transaction", "charge", "created", "currency", "description", "failure_reason",
        "livemode", "metadata", "payment_intent", "reason", "receipt_number", "status")),
    "checkout.session": ("CheckoutSession", "cs_", (
        "after_expiration", "allow_promotion_codes", "amount_subtotal", "amount_total",
        "billing_address_collection", "cancel_url", "client_reference_id", "created", "currency", "customer",
        "customer_creation", "customer_details", "customer_email", "expires_at", "livemode", "locale",
        "metadata", "mode", "payment_intent", "payment_link", "payment_method_types", "payment_status",
        "setup_intent", "status", "submit_type", "success_url", "total_details", "ui_mode", "url")),
    "item": ("LineItem", "li_", (
        "amount_discount", "amount_subtotal", "amount_tax", "amount_total", "currency", "description",
        "metadata", "price", "quantity")),
    "product": ("Product", "prod_", (
        "active", "created", "default_price", "description", "images", "livemode", "marketing_features",
        "metadata", "name", "package_dimensions", "shippable", "statement_descriptor", "tax_code", "type",
        "unit_label", "updated", "url", "deleted")),
    "price": ("Price", "price_", (
        "active", "billing_scheme", "created", "currency", "custom_unit_amount", "livemode", "lookup_key",
        "metadata", "nickname", "product", "recurring", "tax_behavior", "tiers_mode", "transform_quantity",
        "type", "unit_amount", "unit_amount_decimal")),
    "webhook_endpoint": ("WebhookEndpoint", "we_", (
        "api_version", "application", "created", "description", "enabled_events", "livemode", "metadata",
        "status", "url", "secret", "deleted")),
    "webhook_attempt": ("WebhookAttempt", "", (
        "attempt", "created", "delivery", "delivery_next_attempt", "delivery_status", "error", "event",
        "latency_ms", "outcome", "response_excerpt", "status_code", "webhook_endpoint")),
    "event": ("Event", "evt_", (
        "account", "api_version", "created", "data", "livemode", "pending_webhooks", "request", "type")),
    "test_helpers.test_clock": ("TestClock", "clock_", (
        "created", "deletes_after", "frozen_time", "livemode", "name", "status", "status_details",
        "deleted")),
}
_TYPED = {"expires_at": _INTEGER, "enabled_events": {"type": "array", "items": _STRING},
          "data": {"type": "object", "required": ["object"], "properties": {"object": _OBJECT}},
          "pending_webhooks": _INTEGER, "type": _STRING, "url": _NULLABLE_STRING}

# Which object an operation returns: the first matching path prefix (`{}`: any path parameter). A GET
# whose path does not end in an `{id}` returns a list of them.
PATH_OBJECTS: tuple[tuple[str, str], ...] = (
    ("/v1/customers/{}/payment_methods", "payment_method"),
    ("/v1/customers", "customer"),
    ("/v1/payment_methods", "payment_method"),
    ("/v1/setup_intents", "setup_intent"),
    ("/v1/payment_intents", "payment_intent"),
    ("/v1/refunds", "refund"),
    ("/v1/charges", "charge"),
    ("/v1/checkout/sessions/{}/line_items", "item"),
    ("/v1/checkout/sessions", "checkout.session"),
    ("/v1/products", "product"),
    ("/v1/prices", "price"),
    ("/v1/webhook_endpoints/{}/attempts", "webhook_attempt"),
    ("/v1/webhook_endpoints", "webhook_endpoint"),
    ("/v1/events", "event"),
    ("/v1/test_helpers/test_clocks", "test_helpers.test_clock"),
)


def object_schema(name: str) -> dict[str, Any]:
    _schema_name, _prefix, fields = OBJECTS[name]
    properties: dict[str, Any] = {"object": {"type": "string", "enum": [name]}}
    for field in ("id", *fields):
        properties[field] = _COMMON.get(field) or _TYPED.get(field) or {}
    return {"type": "object", "required": ["id", "object"], "properties": properties,
            "description": f"A `{name}` object (wire/ renderers); fields as the API reference describes."}


def error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"type": "string", "enum": ERROR_TYPES},
                "message": {"type": "string"},
                "code": {"type": "string"},
                "decline_code": {"type": "string"},
                "param": {"type": "string"},
            },
        }},
    }


def list_schema(item_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["object", "url", "has_more", "data"],
        "properties": {"object": {"type": "string", "enum": ["list"]}, "url": _STRING,
                       "has_more": {"type": "boolean"},
                       "data": {"type": "array", "items": {"$ref": item_ref}}},
    }


def search_result_schema(item_ref: str) -> dict[str, Any]:
    """GET /v1/<resource>/search: the list with `next_page` (and `total_count` with expand[]=total_count)."""
    return {
        "type": "object",
        "required": ["object", "url", "has_more", "data", "next_page"],
        "properties": {"object": {"type": "string", "enum": ["search_result"]}, "url": _STRING,
                       "has_more": {"type": "boolean"}, "next_page": _NULLABLE_STRING,
                       "total_count": _INTEGER,
                       "data": {"type": "array", "items": {"$ref": item_ref}}},
    }


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object_for(path: str) -> str | None:
    path = re.sub(r"\{[^}]*\}", "{}", path)  # path parameters by position, whatever their names
    for prefix, name in PATH_OBJECTS:
        if path == prefix or path.startswith(prefix + "/"):
            return name
    return None


_HEALTH = {"type": "object", "required": ["status"],
           "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]},
                          "database": {"type": "string"}, "writes": {"type": "string"},
                          "reason": {"type": "string"}}}


def describe_responses(doc: dict[str, Any]) -> dict[str, Any]:
    """Replace FastAPI's generic responses (an empty 200 and a 422 paykeep never sends) with the real
    ones, in place; returns `doc`."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = error_schema()
    schemas["Health"] = _HEALTH
    for name, (schema_name, _prefix, _fields) in OBJECTS.items():
        schemas[schema_name] = object_schema(name)
        schemas[schema_name + "List"] = list_schema(_ref(schema_name))
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            if path in ("/healthz", "/readyz"):
                op["responses"] = {"200": _json({"$ref": _ref("Health")}, "Healthy / ready.")}
                if path == "/readyz":
                    op["responses"]["503"] = _json({"$ref": _ref("Health")},
                                                   "The database cannot be read, or writes are failing.")
                op["security"] = []
                continue
            returned = _object_for(path) if path.startswith("/v1/") else None
            if returned is None:
                continue
            schema_name = OBJECTS[returned][0]
            is_list = method == "get" and not path.rstrip("/").endswith("}")
            is_search = is_list and path.endswith("/search")
            if is_search:
                schemas[schema_name + "SearchResult"] = search_result_schema(_ref(schema_name))
            ok = {"$ref": _ref(schema_name + ("SearchResult" if is_search else "List" if is_list else ""))}
            what = "The search result." if is_search else "The list." if is_list else f"The {returned}."
            responses: dict[str, Any] = {"200": _json(ok, what)}
            for status, description in ERROR_STATUSES.items():
                if method == "get" and status in _WRITE_ONLY:
                    continue
                responses[status] = _json({"$ref": _ref("Error")}, description)
            op["responses"] = responses
    return doc
