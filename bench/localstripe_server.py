"""Run localstripe for the benchmark: its own aiohttp app and handlers, unchanged, with three differences from
`localstripe --port N --from-scratch`:

- it listens on 127.0.0.1 only (the CLI binds every interface, `::`);
- its store file is private to this run (the CLI always writes /tmp/localstripe.pickle, which another
  localstripe on the machine would share); it is written exactly as often and the same way (`pickle.dump` of
  the whole store, on every store change and after every POST/PUT/DELETE);
- with `--seed N` it first creates N customers in-process through `Customer._api_create` (the same call
  `POST /v1/customers` makes), writing the store file once at the end instead of 2N times, so a
  10,000-customer store takes seconds to build instead of the better part of an hour. The ids go to
  `--ids-file`.

Usage: python bench/localstripe_server.py --port 18421 --store /tmp/x/ls.pickle \
           [--seed 10000 --ids-file ids.txt]
"""

from __future__ import annotations

import argparse
import logging
import pickle
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ids-file", type=Path)
    args = parser.parse_args()

    from aiohttp import web
    from localstripe import resources, server

    store_path = args.store
    enabled = {"dump": True}

    def dump_to_disk(self: resources.Store) -> None:
        if enabled["dump"]:
            with open(store_path, "wb") as f:
                pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.dump_to_disk = dump_to_disk

    if args.seed:
        enabled["dump"] = False
        ids = []
        for i in range(args.seed):
            customer = resources.Customer._api_create(
                email=f"seed{i}@example.com",
                name=f"Seed Customer {i}",
                description="seeded",
                metadata={"source": "seed"},
            )
            ids.append(customer.id)
        enabled["dump"] = True
        resources.store.dump_to_disk()
        if args.ids_file:
            args.ids_file.write_text("\n".join(ids) + "\n")

    # As the CLI does: aiohttp's access log at DEBUG to stderr.
    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.DEBUG)
    access.addHandler(logging.StreamHandler(sys.stderr))
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=access, print=None)


if __name__ == "__main__":
    main()
