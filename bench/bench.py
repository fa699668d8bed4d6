#!/usr/bin/env python3
"""Caravan against Postfix, side by side, on loopback (see bench/README.md).

smtp-source -> MTA under test -> one shared smtp-sink. Caravan and Postfix are measured in turn
for every repetition of every load, so a noisy machine affects both alike; only ratios within
one run are comparable. Standard library only.
"""
import argparse, csv, os, re, resource, shutil, smtplib, socket, statistics, subprocess, sys, tempfile, threading, time

SINK_COUNT = re.compile(rb"mesg=(\d+)")
HEAP_USED = re.compile(r"used (\d+)K")
GC_BEFORE = re.compile(rb" (\d+)M->\d+M\(")
TICK = os.sysconf("SC_CLK_TCK")
LOOPBACK = ("127.", "::1", "localhost")


def tool(name):
    path = shutil.which(name) or f"/usr/sbin/{name}"
    if not os.access(path, os.X_OK):
        sys.exit(f"{name} not found: run bench/run (it installs Postfix)")
    return path


def wait_listening(port, seconds, proc=None, banner=False):
    """True once 127.0.0.1:port accepts a connection (with banner: and greets with 220)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                if not banner or s.makefile("rb").readline().startswith(b"220"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def tree_cpu_seconds(pids):
    """User+system CPU of these processes and all their descendants (reaped children included)."""
    table = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    rest = f.read().rsplit(")", 1)[1].split()
                table[int(d)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
            except (OSError, ValueError, IndexError):
                pass
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    seen, stack, ticks = set(), list(pids), 0
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        ticks += table[pid][1]
        stack.extend(children.get(pid, []))
    return ticks / TICK


def box_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return sum(v) - v[3] - v[4], sum(v)


class Sink:
    """smtp-sink -c: a discarding SMTP server that prints a running message count."""

    def __init__(self, port, workdir):
        self.port = port
        self.out = os.path.join(workdir, "sink.out")
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen([tool("smtp-sink"), "-c", *user, "-m", "1024", f"127.0.0.1:{port}", "1024"],
                                     stdout=open(self.out, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if not wait_listening(port, 10, self.proc):
            sys.exit(f"smtp-sink did not start on 127.0.0.1:{port}: {open(self.out).read()}")

    def count(self):
        with open(self.out, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 400))
            counts = [int(m) for m in SINK_COUNT.findall(f.read())]
        return max(counts) if counts else 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Caravan:
    def __init__(self, name, files, jar, workdir, port, sink_port, heap):
        self.port = port
        home = os.path.join(workdir, name)
        os.makedirs(home)
        for d in ("routes", "broker", "config"):
            shutil.copytree(os.path.join(files, d), os.path.join(home, d))
        env = dict(os.environ,
                   CARAVAN_DATA_DIR=os.path.join(home, "data"),
                   CARAVAN_SMTP_BIND="127.0.0.1",
                   CARAVAN_SMTP_PORT=str(port),
                   CARAVAN_SUBMISSION_ENABLED="false",
                   CARAVAN_SUBMISSIONS_ENABLED="false",
                   CARAVAN_RELAY_SMARTHOST=f"[127.0.0.1]:{sink_port}")
        self.log = os.path.join(home, "caravan.log")
        self.gc_log = os.path.join(home, "gc.log")  # heap before and after every collection, read for peaks
        self.proc = subprocess.Popen(["java", f"-Xmx{heap}", f"-Xlog:gc:file={self.gc_log}", "-jar", jar],
                                     cwd=home, env=env,
                                     stdout=open(self.log, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        started = time.time()
        if not wait_listening(port, 120, self.proc, banner=True):
            sys.exit(f"Caravan did not start; see {self.log}")
        self.startup_seconds = time.time() - started  # from exec to the first 220 banner

    def pids(self):
        return [self.proc.pid]

    def idle(self):
        return True  # the sink count is awaited after every run, so a finished run leaves it empty

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def gc_log_size(self):
        return os.path.getsize(self.gc_log) if os.path.exists(self.gc_log) else 0

    def heap_peak_mb(self, since):
        """The largest heap in use before a collection, from the GC log written after offset since."""
        with open(self.gc_log, "rb") as f:
            f.seek(since)
            return max((int(m) for m in GC_BEFORE.findall(f.read())), default=0)

    def heap_mb(self):
        """Heap in use now (jcmd GC.heap_info; 0 without a JDK)."""
        try:
            info = subprocess.run(["jcmd", str(self.proc.pid), "GC.heap_info"], capture_output=True, text=True,
                                  timeout=30).stdout
            used = HEAP_USED.search(info)
            return int(used.group(1)) / 1024 if used else 0.0
        except (OSError, subprocess.TimeoutExpired):
            return 0.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Postfix:
    port = 25
    QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")

    def pids(self):
        with open("/var/spool/postfix/pid/master.pid") as f:
            return [int(f.read().split()[0])]

    def idle(self):
        return not any(files for q in self.QUEUES for _, _, files in os.walk(f"/var/spool/postfix/{q}"))


def one_run(target, sink, size, count, sessions, time_limit):
    """Send count messages of size octets over sessions reused connections; time acceptance and delivery."""
    deadline = time.time() + 120
    while not target.idle() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    goal = sink.count() + count
    delivered_at = []
    source_failed = threading.Event()

    def await_sink():
        end = time.time() + time_limit
        while time.time() < end and not source_failed.is_set():
            if sink.count() >= goal:
                delivered_at.append(time.time())
                return
            time.sleep(0.005)

    memory = {"rss": 0.0}
    gc_from = target.gc_log_size() if isinstance(target, Caravan) else 0

    def sample_rss():  # the peak while the run lasts, every 100 ms (a /proc read, nearly free)
        while poller.is_alive():
            memory["rss"] = max(memory["rss"], target.rss_mb())
            time.sleep(0.1)

    poller = threading.Thread(target=await_sink)
    poller.start()
    sampler = threading.Thread(target=sample_rss) if isinstance(target, Caravan) else None
    if sampler:
        sampler.start()
    busy0, total0 = box_ticks()
    cpu0 = tree_cpu_seconds(target.pids())
    src0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    source = subprocess.run([tool("smtp-source"), "-d", "-s", str(sessions), "-m", str(count), "-l", str(size),
                             "-f", "bench@source.test", "-t", "sink@dest.test", "-M", "bench.source",
                             f"127.0.0.1:{target.port}"], capture_output=True, timeout=time_limit)
    t1 = time.time()
    if source.returncode != 0:
        source_failed.set()
    poller.join()
    cpu1 = tree_cpu_seconds(target.pids())
    src1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = box_ticks()
    if sampler:
        sampler.join()
        memory["heap_after"] = target.heap_mb()
        memory["heap_peak"] = max(target.heap_peak_mb(gc_from), memory["heap_after"])
    ok = source.returncode == 0 and bool(delivered_at)
    e2e = (max(delivered_at[0], t1) - t0) if delivered_at else float("nan")
    return {
        "ok": ok,
        "accepted_per_s": count / (t1 - t0),
        "end_to_end_per_s": count / e2e if delivered_at else 0.0,
        "cpu_ms_per_msg": 1000 * (cpu1 - cpu0) / count,
        "source_cpu_s": (src1.ru_utime + src1.ru_stime) - (src0.ru_utime + src0.ru_stime),
        "box_busy_pct": 100 * (busy1 - busy0) / max(1, total1 - total0),
        "drain_pct": 100 * (e2e - (t1 - t0)) / (t1 - t0),  # delivery after the client finished, share of sending time
        "heap_peak_mb": memory.get("heap_peak", 0.0),  # the most in use before a collection during the run
        "heap_after_mb": memory.get("heap_after", 0.0),
        "rss_peak_mb": memory["rss"],
        "error": "" if ok else (source.stderr or source.stdout).decode(errors="replace")[-300:]
                 or "sink did not receive every message in time",
    }


def latency(target, sink, messages, size):
    """One session, one message at a time: medians of end of DATA to 250, and to the sink's count."""
    body = b"Subject: latency\r\n\r\n" + b"x" * 76 + b"\r\n"
    body = body + (b"y" * 76 + b"\r\n") * max(0, (size - len(body)) // 78)
    to_250, to_sink = [], []
    with smtplib.SMTP("127.0.0.1", target.port, local_hostname="bench.source", timeout=60) as smtp:
        smtp.ehlo()
        for _ in range(messages):
            base = sink.count()
            for code, reply in (smtp.mail("bench@source.test"), smtp.rcpt("sink@dest.test")):
                if code != 250:
                    raise RuntimeError(f"MAIL/RCPT answered {code} {reply!r}")
            smtp.putcmd("data")
            code, _ = smtp.getreply()
            if code != 354:
                raise RuntimeError(f"DATA answered {code}")
            t0 = time.perf_counter()
            smtp.send(body + b".\r\n")
            code, reply = smtp.getreply()
            t1 = time.perf_counter()
            if code != 250:
                raise RuntimeError(f"end of DATA answered {code} {reply!r}")
            end = time.time() + 60
            while sink.count() <= base and time.time() < end:
                time.sleep(0.0002)
            to_250.append(1000 * (t1 - t0))
            to_sink.append(1000 * (time.perf_counter() - t0))
    return median(to_250), median(to_sink)


def median(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--loads", default="1024:5000,65536:1000", help="size:messages,... (default %(default)s)")
    p.add_argument("--sessions", default="1,10,50,200", help="concurrent sessions (default %(default)s)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--latency", type=int, default=500, help="messages sent one at a time for latency (0: none)")
    p.add_argument("--warmup", type=int, default=10000, help="1 KB messages sent to each MTA first, not counted")
    p.add_argument("--jar", default="target/caravan.jar")
    p.add_argument("--heap", default="256m", help="Caravan's -Xmx (default %(default)s)")
    p.add_argument("--caravan-port", type=int, default=2525)
    p.add_argument("--sink-port", type=int, default=2526)
    p.add_argument("--time-limit", type=int, default=600, help="seconds per run")
    p.add_argument("--out", default=None, help="directory for results.csv and summary.md")
    p.add_argument("--caravan-only", action="store_true", help="skip Postfix (no ratios)")
    p.add_argument("--baseline-jar", help="a second Caravan build, measured in turn with the first (A/B of a change)")
    p.add_argument("--baseline-files", help="its routes/, broker/ and config/ (default: this checkout's)")
    a = p.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    jar = os.path.join(repo, a.jar) if not os.path.isabs(a.jar) else a.jar
    out = a.out or os.path.join(repo, "target", "bench", time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    loads = [tuple(int(x) for x in item.split(":")) for item in a.loads.split(",")]
    sessions = [int(s) for s in a.sessions.split(",")]

    if not a.caravan_only and not wait_listening(25, 5):
        sys.exit("Postfix is not listening on 127.0.0.1:25: run bench/run, or postfix start")
    work = tempfile.mkdtemp(prefix="caravan-bench-")
    sink = Sink(a.sink_port, work)
    caravan = Caravan("caravan", repo, jar, work, a.caravan_port, a.sink_port, a.heap)
    targets = {"caravan": caravan}
    if a.baseline_jar:
        targets["baseline"] = Caravan("baseline", a.baseline_files or repo, os.path.abspath(a.baseline_jar), work,
                                      a.caravan_port + 10, a.sink_port, a.heap)
    if not a.caravan_only:
        targets["postfix"] = Postfix()
    rows = []
    try:
        print(f"Caravan started in {caravan.startup_seconds:.1f} s; warming up", flush=True)
        for name, t in targets.items():
            warm = one_run(t, sink, 1024, a.warmup, 10, a.time_limit)
            if not warm["ok"]:
                sys.exit(f"warm-up of {name} failed: {warm['error']}")
        for size, count in loads:
            for s in sessions:
                for rep in range(1, a.reps + 1):
                    for name, t in targets.items():  # interleaved: the same moment of the machine for both
                        r = one_run(t, sink, size, count, s, a.time_limit)
                        r.update(mta=name, size=size, messages=count, sessions=s, rep=rep)
                        rows.append(r)
                        print(f"{name:8} {size:>6} B x {count:<5} {s:>3} sessions rep {rep}: "
                              f"accepted {r['accepted_per_s']:7.0f}/s  end to end {r['end_to_end_per_s']:7.0f}/s  "
                              f"CPU {r['cpu_ms_per_msg']:.2f} ms/msg  box {r['box_busy_pct']:.0f}%"
                              + ("" if r["ok"] else f"  FAILED: {r['error']}"), flush=True)
        latencies = {}
        for name, t in (targets.items() if a.latency else ()):
            latencies[name] = latency(t, sink, a.latency, 1024)
            print(f"{name:8} one session, 1 KB: end of DATA to 250 {latencies[name][0]:.2f} ms, "
                  f"to the sink {latencies[name][1]:.2f} ms (medians of {a.latency})", flush=True)
    finally:
        for t in targets.values():
            if isinstance(t, Caravan):
                t.stop()
        sink.stop()
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    summary = table(rows, targets, latencies)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(summary)
    print("\n" + summary + f"\nraw rows: {out}/results.csv")


def table(rows, targets, latencies):
    lines = ["| load | sessions | MTA | accepted/s | end to end/s | end to end vs Postfix (min-max) | "
             "accepted vs Postfix | drain % | CPU ms/msg | heap peak / RSS peak (MB) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for size, s in sorted({(r["size"], r["sessions"]) for r in rows}):
        runs = lambda mta: [r for r in rows if (r["size"], r["sessions"], r["mta"]) == (size, s, mta) and r["ok"]]
        postfix = runs("postfix")
        pacc = median([r["accepted_per_s"] for r in postfix])
        pe2e = median([r["end_to_end_per_s"] for r in postfix])
        for mta in targets:
            own = runs(mta)
            acc, e2e = median([r["accepted_per_s"] for r in own]), median([r["end_to_end_per_s"] for r in own])
            if postfix and mta != "postfix":
                per_rep = [o["end_to_end_per_s"] / p["end_to_end_per_s"] for o in own for p in postfix
                           if o["rep"] == p["rep"] and p["end_to_end_per_s"]]
                vs = f"{e2e / pe2e:.2f} ({min(per_rep):.2f}-{max(per_rep):.2f})" if per_rep else "-"
                vs_acc = f"{acc / pacc:.2f}"
            else:
                vs = vs_acc = "-"
            memory = (f"{max(r['heap_peak_mb'] for r in own):.0f} / {max(r['rss_peak_mb'] for r in own):.0f}"
                      if own and isinstance(targets[mta], Caravan) else "-")
            load = (f"{size // 1048576} MB" if size >= 1048576 else f"{size // 1024} KB" if size >= 1024
                    else f"{size} B")
            lines.append(f"| {load} | {s} | {mta} | {acc:.0f} | {e2e:.0f} | {vs} | {vs_acc} | "
                         f"{median([r['drain_pct'] for r in own]):.0f} | "
                         f"{median([r['cpu_ms_per_msg'] for r in own]):.2f} | {memory} |")
    lines.append("")
    if latencies:
        lines += ["| one session, 1 KB, medians | end of DATA to 250 (ms) | end of DATA to delivered (ms) |",
                  "|---|---|---|"]
        lines += [f"| {name} | {l[0]:.2f} | {l[1]:.2f} |" for name, l in latencies.items()]
        lines.append("")
    for name, t in targets.items():
        if isinstance(t, Caravan):
            lines.append(f"{name}: {t.startup_seconds:.1f} s from exec to the first 220 banner.")
    failed = sum(1 for r in rows if not r["ok"])
    lines.append(f"Medians of the repetitions; drain %: delivery time after the client finished, as a share of "
                 f"the sending time; heap and RSS: the largest of the repetitions (heap from the GC log, before a "
                 f"collection). {failed} failed run(s) left out.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
