"""Fill a paykeep database with customers through the service layer (the use case POST /v1/customers
runs: the customer row and its `customer.created` event), many per transaction, with the server stopped.

    PAYKEEP_DATABASE_URL=sqlite:///…/paykeep.db PAYKEEP_KEY_FILE=…/paykeep.key \
        python bench/seed.py --count 100000 [--ids-file ids.txt] [--batch 2000]

Prints "seeded N customers in S s". With --ids-file, writes the new ids (one a line).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def seed(count: int, batch: int, ids_file: Path | None) -> float:
    from paykeep import bootstrap
    from paykeep.config import Settings
    from paykeep.services import accounts, customers
    from paykeep.services.ports import Caller, Context
    from paykeep.wire.customers import CustomerCreate

    runtime = bootstrap.build_runtime(Settings.from_env())
    keys = accounts.reveal_keys(runtime.deps)
    if keys is None:
        sys.exit("no account: run `paykeep init` first")
    caller = Caller(account_id=keys.account_id, livemode=False, request_id="req_bench_seed")
    ids: list[str] = []
    started = time.perf_counter()
    done = 0
    while done < count:
        n = min(batch, count - done)
        with runtime.deps.begin(write=True) as uow:
            ctx = Context(uow, runtime.deps, caller)
            for i in range(done, done + n):
                params = CustomerCreate.model_validate(
                    {
                        "email": f"seed{i}@example.com",
                        "name": f"Seed Customer {i}",
                        "description": "seeded",
                        "metadata": {"source": "seed"},
                    }
                )
                ids.append(customers.create_customer(ctx, params)["id"])
        done += n
    elapsed = time.perf_counter() - started
    runtime.close()
    if ids_file is not None:
        ids_file.write_text("\n".join(ids) + "\n")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--ids-file", type=Path)
    args = parser.parse_args()
    elapsed = seed(args.count, args.batch, args.ids_file)
    print(f"seeded {args.count} customers in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
