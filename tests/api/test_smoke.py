"""The server starts, authenticates and creates a customer over real HTTP, in the account's dialect."""

import re

from support.dialects import STRIPE_API_VERSION


def test_create_and_retrieve_customer(api, dialect):
    created = api.post("/v1/customers", data={"email": "smoke@example.com"})
    assert created.status_code == 200
    assert created.headers["request-id"].startswith("req_")
    # only a Stripe-dialect response says which Stripe API version it speaks
    assert created.headers.get("stripe-version") == (STRIPE_API_VERSION if dialect.is_stripe else None)
    cus = created.json()
    assert re.fullmatch(dialect.id_re("cus"), cus["id"]), cus["id"]
    fetched = api.get(f"/v1/customers/{cus['id']}").json()
    assert fetched == cus
