"""Service unit tests: use cases against the in-memory fakes (tests/support/fakes.py); no database, no
server."""

from __future__ import annotations

import pytest

from paykeep.domain.customers import Customer
from paykeep.services import customers
from paykeep.wire.customers import CustomerCreate
from support.fakes import Fakes


@pytest.fixture
def fakes() -> Fakes:
    return Fakes.make()


@pytest.fixture
def customer(fakes: Fakes) -> Customer:
    return fakes.run(customers.create_customer, CustomerCreate.model_validate({"email": "ada@example.test"}))
