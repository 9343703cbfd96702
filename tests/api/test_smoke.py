"""The server starts, authenticates and creates a customer over real HTTP."""


def test_create_and_retrieve_customer(api):
    created = api.post("/v1/customers", data={"email": "smoke@example.com"})
    assert created.status_code == 200
    assert created.headers["request-id"].startswith("req_")
    cus = created.json()
    assert cus["id"].startswith("cus_") and len(cus["id"]) == 4 + 19
    fetched = api.get(f"/v1/customers/{cus['id']}").json()
    assert fetched == cus
