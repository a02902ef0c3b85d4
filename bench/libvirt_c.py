"""libvirt's own C client, driven in-process through python3-libvirt, for bench/libvirt.ts.

  calls SECONDS            list all domains + state of each, for SECONDS; prints the rate
  serve                    the same on one connection, once per line "calls SECONDS" read from
                           stdin, one JSON line each (for measurements interleaved with ours)
  events UUID PAIRS        suspend/resume the running guest UUID PAIRS times; prints the latency
                           from each API call returning to its lifecycle event arriving

Prints one JSON object on stdout. Run with Debian's /usr/bin/python3 (python3-libvirt).
"""
import json
import sys
import threading
import time

import libvirt

URI = "qemu:///system"


def state(d):
    try:
        d.state(0)
    except libvirt.libvirtError as e:
        # Others' guests may vanish between the list and the state: the call was made all the same.
        if e.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            raise


def calls(seconds, conn=None):
    own = conn is None
    if own:
        conn = libvirt.open(URI)
    # Warm up, as the TypeScript side does.
    for _ in range(20):
        for d in conn.listAllDomains(0):
            state(d)
    n = 0
    domains = 0
    t0 = time.perf_counter()
    while True:
        doms = conn.listAllDomains(0)
        n += 1
        for d in doms:
            state(d)
            n += 1
        domains = len(doms)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break
    if own:
        conn.close()
    return {"calls": n, "seconds": elapsed, "rate": n / elapsed, "domains": domains}


def serve():
    conn = libvirt.open(URI)
    for line in sys.stdin:
        words = line.split()
        if words and words[0] == "calls":
            print(json.dumps(calls(float(words[1]), conn)), flush=True)
    conn.close()


def events(uuid, pairs):
    libvirt.virEventRegisterDefaultImpl()
    conn = libvirt.open(URI)
    stop = False

    def loop():
        while not stop:
            libvirt.virEventRunDefaultImpl()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    dom = conn.lookupByUUIDString(uuid)
    arrived = {}
    cond = threading.Condition()

    def on_event(_conn, d, event, _detail, _opaque):
        with cond:
            arrived.setdefault(event, []).append(time.perf_counter())
            cond.notify_all()

    cb = conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, None)
    latencies = []
    since_call = []

    def step(action, event, record):
        with cond:
            before = len(arrived.get(event, []))
        started = time.perf_counter()
        action()
        returned = time.perf_counter()
        with cond:
            if not cond.wait_for(lambda: len(arrived.get(event, [])) > before, timeout=10):
                raise RuntimeError("no lifecycle event %d within 10 s" % event)
            at = arrived[event][before]
        if record:
            # An event may come before the reply: it was there when the call returned.
            latencies.append(max(0.0, at - returned) * 1000)
            since_call.append((at - started) * 1000)

    for i in range(pairs + 5):
        record = i >= 5  # the first few warm up
        step(dom.suspend, libvirt.VIR_DOMAIN_EVENT_SUSPENDED, record)
        step(dom.resume, libvirt.VIR_DOMAIN_EVENT_RESUMED, record)
    conn.domainEventDeregisterAny(cb)
    stop = True
    conn.close()
    return {"latencies_ms": latencies, "since_call_ms": since_call}


def main():
    mode = sys.argv[1]
    if mode == "calls":
        out = calls(float(sys.argv[2]))
    elif mode == "serve":
        serve()
        return
    elif mode == "events":
        out = events(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit("usage: libvirt_c.py calls SECONDS | events UUID PAIRS")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
