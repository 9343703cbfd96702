"""paykeep.domain.ids: prefix + 19 digits, time ordered, unique across threads."""

from __future__ import annotations

import re
import threading
import time

from paykeep.domain.ids import IdFactory, client_secret_for, looks_like, prefix_of

ID = re.compile(r"^cus_\d{19}$")


class FakeClock:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def __call__(self) -> int:
        return self.now


def number(object_id: str) -> int:
    return int(object_id.split("_", 1)[1])


def test_shape_is_prefix_and_19_digits() -> None:
    ids = IdFactory()
    for prefix in ("cus", "pm", "seti", "pi", "re", "evt", "we", "cs", "req", "acct"):
        made = ids.new(prefix)
        assert re.fullmatch(rf"{prefix}_\d{{19}}", made), made
        assert looks_like(made, prefix) and prefix_of(made) == prefix


def test_19_digits_from_the_epoch_to_the_2080s() -> None:
    epoch_ms = 1288834974657
    assert ID.match(IdFactory(now_ms=FakeClock(epoch_ms)).new("cus"))
    assert ID.match(IdFactory(now_ms=FakeClock(int(time.time() * 1000))).new("cus"))
    in_2080 = 3_471_292_800_000
    assert ID.match(IdFactory(now_ms=FakeClock(in_2080), node=1023).new("cus"))


def test_ids_follow_the_clock() -> None:
    clock = FakeClock(1_700_000_000_000)
    ids = IdFactory(now_ms=clock, node=5)
    made = []
    for step in range(50):
        clock.now += step % 3  # several ids in the same millisecond, then later ones
        made.append(ids.new("cus"))
    assert made == sorted(made), "string order is creation order"
    assert [number(m) for m in made] == sorted(number(m) for m in made)
    assert len(set(made)) == len(made)


def test_a_clock_going_backwards_does_not_reorder() -> None:
    clock = FakeClock(1_700_000_000_000)
    ids = IdFactory(now_ms=clock, node=1)
    first = ids.new("cus")
    clock.now -= 5000
    assert ids.new("cus") > first


def test_more_ids_than_the_sequence_holds_in_one_millisecond_stay_ordered() -> None:
    ids = IdFactory(now_ms=FakeClock(1_700_000_000_000), node=7)
    made = [ids.new("cus") for _ in range(10_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(ID.match(m) for m in made)


def test_unique_and_ordered_per_thread_across_threads() -> None:
    ids = IdFactory()
    per_thread: dict[int, list[str]] = {}
    start = threading.Barrier(8)

    def work(n: int) -> None:
        start.wait()
        per_thread[n] = [ids.new("cus") for _ in range(5000)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = [i for made in per_thread.values() for i in made]
    assert len(everything) == 40_000
    assert len(set(everything)) == 40_000
    for made in per_thread.values():
        assert made == sorted(made)


def test_two_factories_in_one_millisecond_differ_by_node() -> None:
    clock = FakeClock(1_700_000_000_000)
    a, b = IdFactory(now_ms=clock, node=1), IdFactory(now_ms=clock, node=2)
    assert {a.new("cus") for _ in range(100)}.isdisjoint({b.new("cus") for _ in range(100)})


def test_client_secret_shape() -> None:
    secret = client_secret_for("seti_1838767497487056896")
    assert re.fullmatch(r"seti_1838767497487056896_secret_[A-Za-z0-9]{24}", secret)
    assert client_secret_for("seti_1838767497487056896") != secret


def test_looks_like_rejects_other_shapes() -> None:
    assert not looks_like("cus_123", "cus")
    assert not looks_like("pm_1838767497487056896", "cus")
    assert not looks_like("cus_18387674974870568960", "cus")
    assert not looks_like(None, "cus")
    assert prefix_of("nounderscore") == ""
