"""What a test's fresh database costs: building the schema per test (what tests/conftest.py
did before) against copying a schema built once per session (what it does now).

    python bench/testdb.py [--rounds 10]

SQLite: generate_schemas into a new file, against a file copy of a template.
PostgreSQL (with HITFLOW_TEST_DATABASE_URL set, e.g. postgres://postgres@127.0.0.1:5432/test):
CREATE DATABASE + generate_schemas, against CREATE DATABASE ... TEMPLATE; and the DROP
DATABASE that follows either (tests/conftest.py now runs both the copy of the next test's
database and the drop in a background thread, while a test runs).
Prints the median of each in ms and the ratio; the load average is printed too, since the
figures are only comparable within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import (
    TEST_DATABASE_URL,
    build_test_schema,
    connected,
    copy_pg_database,
    drop_pg_database,
    pg_url,
)


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def sqlite(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.sqlite3"
        await build_test_schema(f"sqlite://{template}")
        built, copied = [], []
        for i in range(rounds):
            start = time.perf_counter()
            await build_test_schema(f"sqlite://{tmp}/built{i}.sqlite3")
            built.append(time.perf_counter() - start)
            start = time.perf_counter()
            shutil.copyfile(template, f"{tmp}/copy{i}.sqlite3")
            async with connected(f"sqlite://{tmp}/copy{i}.sqlite3"):
                pass
            copied.append(time.perf_counter() - start)
    print(
        f"sqlite      schema per test {ms(built):7.1f} ms   template copy {ms(copied):7.1f} ms"
        f"   ratio {ms(built) / ms(copied):5.1f}x"
    )


async def postgres(rounds: int) -> None:
    template = f"hft_tmpl_{uuid.uuid4().hex[:12]}"
    await build_test_schema(pg_url(template))
    built, copied, dropped = [], [], []
    try:
        for _ in range(rounds):
            name = f"hft_{uuid.uuid4().hex[:12]}"
            start = time.perf_counter()
            await build_test_schema(pg_url(name))
            built.append(time.perf_counter() - start)
            start = time.perf_counter()
            await drop_pg_database(name)
            dropped.append(time.perf_counter() - start)

            name = f"hft_{uuid.uuid4().hex[:12]}"
            start = time.perf_counter()
            await copy_pg_database(name, template)
            async with connected(pg_url(name)):
                pass
            copied.append(time.perf_counter() - start)
            await drop_pg_database(name)
    finally:
        await drop_pg_database(template)
    print(
        f"postgresql  schema per test {ms(built):7.1f} ms   template copy {ms(copied):7.1f} ms"
        f"   ratio {ms(built) / ms(copied):5.1f}x   drop {ms(dropped):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    asyncio.run(sqlite(args.rounds))
    if TEST_DATABASE_URL:
        asyncio.run(postgres(args.rounds))
    else:
        print("postgresql  skipped (set HITFLOW_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
