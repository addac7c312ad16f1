"""Every benchmark in one command, with machine info and a same-run baseline (issue 8).

    python bench/run_all.py [--quick] [--only fetch,scale,...] [--out results.md]

Runs, each in its own subprocess (wall time and that process's peak RSS via ``os.wait4``):

  fetch      bench/bench_fetch.py       5,000 arXiv entries: paged vs page-size-1
  summarize  bench/bench_summarize.py   100 papers vs the fake LLM: concurrency vs sequential
  rank       bench/rank_eval.py         ranking quality (MAP, recall) and 20,000 x 5,000 speed
  pdf        bench/bench_pdf.py         PDF text extraction libraries, pages/s
  tts        bench/bench_tts.py         Piper real-time factor, episode cold/warm
  sample     papercast run --sample     the README's offline demo, cold then warm (a rerun)
  scale      bench/bench_scale.py       5,000 candidates, 500 summaries through run_week
  safetext   bench/bench_safe_text.py   Paper validation with and without models.safe_text
  grounding  bench/bench_grounding.py   the grounding check with numbers in words vs digits only
  serve      bench/bench_serve.py       the web app: a 5,000-candidate week, search over 50,000

Machines differ and the cores may be shared, so every wall time is also given as a ratio to
a **baseline measured in the same run**: a fixed CPU workload (hashing, JSON, sorting: the
kind of work papercast does between network calls) timed before and after the benchmarks;
the ratio uses their mean, and their spread says how steady the machine was. Each script's
own table (with its own same-run comparison) follows the summary.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
EXAMPLES = Path("/work/shared/examples")

CALIBRATION = """
import hashlib, json, random
rng = random.Random(8)
data = bytes(rng.getrandbits(8) for _ in range(2_000_000))
for _ in range(16):
    hashlib.sha256(data).hexdigest()
rows = [{"id": f"arxiv:2410.{i:05d}", "title": "t" * 80, "score": rng.random()} for i in range(200_000)]
json.loads(json.dumps(rows))
sorted(rows, key=lambda r: r["score"])
"""


@dataclass
class Result:
    name: str
    what: str
    seconds: float
    peak_mb: int
    code: int
    output: str


def run(
    name: str,
    what: str,
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Result(name, what, seconds, round(usage.ru_maxrss / 1024), proc.returncode, output)


def calibrate() -> Result:
    return run(
        "baseline",
        "fixed CPU workload (sha256 32 MB, JSON + sort 200k rows)",
        [sys.executable, "-c", CALIBRATION],
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GB"
    except OSError:
        pass
    return "unknown"


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def machine_info() -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libs = ", ".join(
        f"{p} {_version(p)}"
        for p in ("papercast", "openai", "httpx", "lxml", "pypdfium2", "piper-tts", "scikit-learn")
    )
    return [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_git_commit()}",
        f"- CPU: {_cpu_model()}; {os.cpu_count()} cores, {usable} usable; memory {_memory_gb()}",
        f"- OS: {platform.platform()}; Python {platform.python_version()}",
        f"- load average at start: {os.getloadavg()[0]:.2f}",
        f"- libraries: {libs}",
    ]


def benchmarks(quick: bool) -> list[tuple[str, str, list[str], dict[str, object]]]:
    py = sys.executable
    examples = ["--examples", str(EXAMPLES)] if EXAMPLES.is_dir() else []
    listings = ["--listings", str(EXAMPLES)] if EXAMPLES.is_dir() else ["--skip-quality"]
    return [
        (
            "fetch",
            "5,000 arXiv entries, paged vs page-size-1",
            [py, str(BENCH / "bench_fetch.py"), *(["--entries", "1000"] if quick else [])],
            {},
        ),
        (
            "summarize",
            "100 papers vs fake LLM (300 ms), concurrency 8 vs 1",
            [
                py,
                str(BENCH / "bench_summarize.py"),
                *(["--papers", "16", "--latency", "0.05"] if quick else []),
            ],
            {},
        ),
        (
            "rank",
            "quality on the example listings; 20,000 x 5,000 speed",
            [
                py,
                str(BENCH / "rank_eval.py"),
                *listings,
                *(
                    ["--history", "2000", "--candidates", "500", "--skip-embeddings"]
                    if quick
                    else []
                ),
            ],
            {},
        ),
        (
            "pdf",
            "PDF text extraction libraries",
            [py, str(BENCH / "bench_pdf.py"), *(["--repeat", "1"] if quick else [])],
            {},
        ),
        (
            "tts",
            "Piper RTF 1 vs 2 processes; episode cold/warm",
            [
                py,
                str(BENCH / "bench_tts.py"),
                *examples,
                *(["--paragraphs", "2", "--repeats", "1"] if quick else []),
            ],
            {"needs": EXAMPLES},
        ),
        (
            "scale",
            "5,000 candidates + 500 summaries through run_week",
            [
                py,
                str(BENCH / "bench_scale.py"),
                *(["--candidates", "500", "--summaries", "50"] if quick else []),
            ],
            {},
        ),
        (
            "safetext",
            "2,000 stored papers validated with and without safe_text",
            [
                py,
                str(BENCH / "bench_safe_text.py"),
                *(["--papers", "300", "--repeat", "2"] if quick else []),
            ],
            {},
        ),
        (
            "grounding",
            "the grounding check on a 100,000-character paper, words read vs digits only",
            [
                py,
                str(BENCH / "bench_grounding.py"),
                *(["--chars", "20000", "--repeat", "2", "--rounds", "2"] if quick else []),
            ],
            {},
        ),
        (
            "serve",
            "the web app: a week of 5,000, search over 50,000 summarized papers",
            [
                py,
                str(BENCH / "bench_serve.py"),
                *(["--papers", "5000", "--week", "500", "--queries", "40"] if quick else []),
            ],
            {},
        ),
    ]


def sample_runs() -> list[Result]:
    """`papercast run --sample` on a fresh home, then again (everything cached)."""
    papercast = shutil.which("papercast", path=str(Path(sys.executable).parent)) or "papercast"
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERCAST_", "OPENAI_"))}
        env["PAPERCAST_HOME"] = str(Path(tmp) / "home")
        cold = run(
            "sample (cold)",
            "`papercast run --sample`, fresh home",
            [papercast, "run", "--sample"],
            cwd=Path(tmp),
            env=env,
        )
        warm = run(
            "sample (rerun)",
            "the same again: summaries and speech cached",
            [papercast, "run", "--sample"],
            cwd=Path(tmp),
            env=env,
        )
    return [cold, warm]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the scripts run")
    parser.add_argument(
        "--only", default="", help="comma-separated: fetch,summarize,rank,pdf,tts,sample,scale"
    )
    parser.add_argument("--out", type=Path, help="also write the report here (Markdown)")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    lines = ["# papercast benchmarks" + (" (quick)" if args.quick else ""), "", *machine_info(), ""]
    print("\n".join(lines), flush=True)
    before = calibrate()
    results: list[Result] = []
    for name, what, cmd, extra in benchmarks(args.quick):
        if only and name not in only:
            continue
        needs = extra.get("needs")
        if isinstance(needs, Path) and not needs.is_dir():
            results.append(Result(name, f"{what} (skipped: {needs} not found)", 0.0, 0, 0, ""))
            continue
        print(f"running {name}...", file=sys.stderr, flush=True)
        results.append(run(name, what, cmd, cwd=ROOT))
    if not only or "sample" in only:
        print("running sample...", file=sys.stderr, flush=True)
        results.extend(sample_runs())
    after = calibrate()
    unit = (before.seconds + after.seconds) / 2
    spread = abs(before.seconds - after.seconds) / unit * 100
    table = [
        f"Baseline: {before.what}: {before.seconds:.2f} s before, {after.seconds:.2f} s after "
        f"(spread {spread:.0f}%), peak RSS {before.peak_mb} MB. Ratios are wall time / baseline.",
        f"Load average at the end: {os.getloadavg()[0]:.2f}",
        "",
        "| benchmark | what | wall s | x baseline | peak RSS MB | exit |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r.seconds / unit:.1f}" if r.seconds else "-"
        table.append(
            f"| {r.name} | {r.what} | {r.seconds:.1f} | {ratio} | {r.peak_mb or '-'} | {r.code} |"
        )
    details = []
    for r in results:
        if r.output.strip():
            details += ["", f"## {r.name}", "", "```", r.output.strip()[-6000:], "```"]
    report = "\n".join([*lines, *table, *details]) + "\n"
    print("\n".join(table + details))
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    failed = [r.name for r in results if r.code != 0]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
