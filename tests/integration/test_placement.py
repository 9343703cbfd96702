"""`serve --pin-cpus`: each API process runs on a CPU of its own, and serves as before."""

from __future__ import annotations

import os
from pathlib import Path

from support.cluster import Cluster


def allowed_cpus(pid: int) -> set[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus: set[int] = set()
            for part in line.split(":", 1)[1].strip().split(","):
                first, _, last = part.partition("-")
                cpus.update(range(int(first), int(last or first) + 1))
            return cpus
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


def test_each_api_process_takes_a_cpu_of_its_own(tmp_path):
    ours = sorted(os.sched_getaffinity(0))
    cluster = Cluster(tmp_path / "c")
    try:
        cluster.init()
        pinned = cluster.start_api(workers=2, extra_args=("--pin-cpus",))
        unpinned = cluster.start_api(workers=1)
        workers = pinned.children()
        assert len(workers) == 2
        placements = [allowed_cpus(pid) for pid in workers]
        if len(ours) >= 2:
            assert all(len(cpus) == 1 for cpus in placements), placements
            assert placements[0] != placements[1] and placements[0] | placements[1] <= set(ours)
        else:  # one CPU: the first process takes it, the other is left to the scheduler
            assert sorted(len(cpus) for cpus in placements) == [1, 1]
        assert allowed_cpus(unpinned.pid) == set(ours)  # without the option nothing is pinned
        with cluster.client(pinned) as client:
            created = client.post("/v1/customers", data={"email": "pinned@example.com"})
            assert created.status_code == 200
            assert client.get(f"/v1/customers/{created.json()['id']}").json()["email"] == "pinned@example.com"
    finally:
        cluster.close()
