"""The card vault on a real server's storage: numbers only as AES-256-GCM ciphertext (a new nonce every time),
bound to their payment method, unreadable with another master key; `paykeep keys rotate` (data key) and
`keys rotate --master` keep every saved card usable."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import create_engine, select

from paykeep.adapters.db.engine import Database
from paykeep.adapters.db.tables.cards import payment_methods
from paykeep.adapters.vault.card_vault import CardVault
from paykeep.adapters.vault.keyring import Keyring, MasterKeyError, encode_master_key, generate_master_key
from paykeep.config import normalise_db_url
from paykeep.domain.cards import CardNumber
from support.cards import card
from support.server import PaykeepServer, free_port

RETURN_URL = "https://shop.example/back"


def stored_cards(server: PaykeepServer) -> dict[str, dict[str, Any]]:
    engine = create_engine(normalise_db_url(server.db_url))
    try:
        with engine.connect() as conn:
            return {r["id"]: dict(r) for r in conn.execute(select(payment_methods)).mappings()}
    finally:
        engine.dispose()


def save_card(api: httpx.Client, number: str) -> tuple[str, str]:
    cus = api.post("/v1/customers", data={"email": "vault@example.com"}).json()["id"]
    seti = api.post("/v1/setup_intents", json={
        "confirm": True, "customer": cus, "return_url": RETURN_URL,
        "payment_method_data": {"type": "card", "card": card(number)}}).json()
    assert seti["status"] == "succeeded", seti
    return cus, str(seti["payment_method"])


def confirm_saved(api: httpx.Client, cus: str, pm_id: str) -> str:
    """A new SetupIntent with the saved card: the server must decrypt the number to ask the network."""
    resp = api.post("/v1/setup_intents", data={"confirm": "true", "customer": cus, "payment_method": pm_id,
                                               "return_url": RETURN_URL})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["status"])


def charge_saved(api: httpx.Client, cus: str, pm_id: str) -> str:
    resp = api.post("/v1/payment_intents", json={"amount": 2500, "currency": "USD", "confirm": True,
                                                 "off_session": True, "customer": cus,
                                                 "payment_method": pm_id})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["status"])


def payments_available(api: httpx.Client) -> bool:
    return api.get("/v1/payment_intents", params={"limit": 1}).status_code == 200


def test_ciphertexts_differ_and_are_bound_to_their_payment_method(api: httpx.Client,
                                                                  server: PaykeepServer) -> None:
    number = "4000056655665556"
    pms = [api.post("/v1/payment_methods", data={"type": "card", **{f"card[{k}]": v for k, v in card(
        number).items() if k != "name"}}).json() for _ in range(2)]
    rows = stored_cards(server)
    first, second = rows[pms[0]["id"]], rows[pms[1]["id"]]
    assert first["card_ciphertext"] != second["card_ciphertext"]
    assert first["card_fingerprint"] == second["card_fingerprint"] == pms[0]["card"]["fingerprint"]
    for row in (first, second):
        assert number.encode() not in row["card_ciphertext"]
        assert len(row["card_ciphertext"]) == 4 + 12 + len(number) + 16  # version | nonce | ciphertext | tag
    db = Database(normalise_db_url(server.db_url))
    try:
        keyring = Keyring(db, _master_key(server))
        keyring.load()
        vault = CardVault(keyring)
        aad = f"payment_method:{first['id']}".encode()
        assert vault.reveal(first["card_ciphertext"], aad) == CardNumber(number)
        with pytest.raises(InvalidTag):  # another payment method's ciphertext does not open under this id
            vault.reveal(second["card_ciphertext"], aad)
        with pytest.raises(MasterKeyError):  # a wrong master key cannot even unwrap the data keys
            Keyring(db, generate_master_key()).load()
    finally:
        db.dispose()


def test_a_wrong_master_key_cannot_start_the_server(server: PaykeepServer) -> None:
    env = {**server.env, "PAYKEEP_MASTER_KEY": encode_master_key(generate_master_key())}
    result = subprocess.run([sys.executable, "-m", "paykeep", "serve", "--port", str(free_port())], env=env,
                            cwd=server.dir, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "master key does not match" in result.stdout + result.stderr


def test_cards_survive_data_key_and_master_key_rotation(fresh_server: PaykeepServer) -> None:
    server = fresh_server
    with server.client() as api:
        cus_a, pm_a = save_card(api, "4242424242424242")
        server.cli("keys", "rotate")
        cus_b, pm_b = save_card(api, "5555555555554444")  # the running server picks up the new version
        versions = {pm: stored_cards(server)[pm]["card_key_version"] for pm in (pm_a, pm_b)}
        assert versions == {pm_a: 1, pm_b: 2}
        for cus, pm in ((cus_a, pm_a), (cus_b, pm_b)):
            assert confirm_saved(api, cus, pm) == "succeeded"
            if payments_available(api):
                assert charge_saved(api, cus, pm) == "succeeded"

        old_key = server.key_file.read_text()
        ciphertexts = {pm: row["card_ciphertext"] for pm, row in stored_cards(server).items()}
        server.cli("keys", "rotate", "--master")
        assert server.key_file.read_text() != old_key
        assert oct(os.stat(server.key_file).st_mode & 0o777) == "0o600"
        cus_c, pm_c = save_card(api, "378282246310005")  # keeps serving until restarted
        after = {pm: row["card_ciphertext"] for pm, row in stored_cards(server).items() if pm != pm_c}
        assert after == ciphertexts  # re-wrapping the keys left every card ciphertext untouched
    server.restart()  # now on the new key file
    with server.client() as api:
        for cus, pm in ((cus_a, pm_a), (cus_b, pm_b), (cus_c, pm_c)):
            assert confirm_saved(api, cus, pm) == "succeeded"
    env = {**server.env, "PAYKEEP_MASTER_KEY": old_key.strip()}
    result = subprocess.run([sys.executable, "-m", "paykeep", "serve", "--port", str(free_port())], env=env,
                            cwd=server.dir, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0  # the old master key no longer opens anything


def _master_key(server: PaykeepServer) -> bytes:
    from paykeep.adapters.vault.keyring import read_key_file

    return read_key_file(server.key_file)
