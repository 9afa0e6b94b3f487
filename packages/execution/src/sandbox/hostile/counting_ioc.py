"""A small caproto IOC for the hostile suite: every put that reaches it is appended to a JSON-lines
log the test reads from outside the sandbox ("counted at the device"). Stand-in shape of the
simulated machine (sim/) until the suite moves to `IocFixture`.

python counting_ioc.py --port PORT --put-log FILE   (prints "ready" on stdout when serving)
"""

from __future__ import annotations

import json
import os
import sys
import time

from caproto.server import PVGroup, pvproperty, run


def make_group(put_log: str) -> PVGroup:
    def counted(name: str):
        async def putter(group, instance, value):
            with open(put_log, "a", encoding="utf-8") as fh:  # noqa: ASYNC230  (the count must be on disk before the put returns)
                fh.write(json.dumps({"pv": name, "value": value if isinstance(value, (int, float, str)) else str(value), "t": time.time()}) + "\n")
            return value

        return putter

    class Machine(PVGroup):
        qf1_sp = pvproperty(name="SR:MAG:QF1:CURRENT_SP", value=101.0, put=counted("SR:MAG:QF1:CURRENT_SP"), record="ao")
        qd1_sp = pvproperty(name="SR:MAG:QD1:CURRENT_SP", value=99.0, put=counted("SR:MAG:QD1:CURRENT_SP"), record="ao")
        dcct = pvproperty(name="SR:DCCT:CURRENT", value=300.5, read_only=True, record="ai")
        intlk = pvproperty(name="SR:INTLK:ENABLE", value=1, put=counted("SR:INTLK:ENABLE"))

    return Machine(prefix="")


def main(argv: list[str]) -> int:
    args = dict(zip(argv[::2], argv[1::2]))
    os.environ["EPICS_CAS_SERVER_PORT"] = args["--port"]
    os.environ["EPICS_CA_SERVER_PORT"] = args["--port"]
    os.environ["EPICS_CAS_INTF_ADDR_LIST"] = "127.0.0.1"
    group = make_group(args["--put-log"])

    async def ready(_async_lib) -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()

    run(group.pvdb, interfaces=["127.0.0.1"], startup_hook=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
