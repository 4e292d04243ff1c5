"""The benchmarks at a tiny size, so they cannot rot: every one runs and writes its JSON line with
every field and finite ratios. Nothing here asserts a time (the machine is shared); the figures
themselves come from `make bench` and are in BENCHMARKS.md."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAIRED = ["ledger_core_{b}", "http_payments_{b}", "hot_merchant_{b}", "coupon_flash_{b}"]
BACKENDS = ["sqlite", "postgres"]


def _finite(*values) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in values)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("bench")
    env = os.environ | {"ANXIN_BENCH_SCALE": "0.02", "ANXIN_BENCH_RESULTS": str(out)}
    run = subprocess.run([sys.executable, "-m", "pytest", "tests/bench", "-q", "-p", "no:cacheprovider", "-n", "2",
                          "-o", "python_files=bench_*.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return {p.stem: json.loads(p.read_text().splitlines()[-1]) for p in out.glob("*.jsonl")}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n.format(b=b) for n in PAIRED for b in BACKENDS] + ["coupon_claims_sharded_vs_one_row"])
def test_a_paired_benchmark_reports_medians_spread_and_a_finite_ratio(results, name):
    r = results[name]
    for side in ("candidate_per_s", "baseline_per_s", "ratio"):
        assert _finite(r[side]["median"], r[side]["min"], r[side]["max"]), (side, r)
    assert r["runs"] >= 2 and isinstance(r["meets_target"], bool) and r["target_ratio"] > 0
    assert r["machine"]["cores"] and r["machine"]["memory_gib"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_http_benchmark_reports_latency_at_half_of_the_peak(results, backend):
    half = results[f"http_payments_{backend}"]["at_half_peak"]
    assert _finite(half["rate_per_s"], half["p50_ms"], half["p99_ms"]) and half["p50_ms"] <= half["p99_ms"]
    assert results[f"http_payments_{backend}"]["errors"] == 0
    cpu = results[f"http_payments_{backend}"]["server_cpu_ms_per_request"]
    assert _finite(cpu["payment"]["median"], cpu["bare"]["median"], cpu["bare_over_payment"])


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_flash_crowd_reports_p99_and_never_over_issues(results, backend):
    r = results[f"coupon_flash_{backend}"]
    assert _finite(r["p50_ms"], r["p99_ms"]) and r["over_issued"] == 0 and r["answers"]["claimed"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_scaling_benchmark_reports_every_size_and_the_audit_cost(results, backend):
    r = results[f"scaling_{backend}"]
    assert len(r["accounts"]) >= 2 and len(r["journal"]) >= 2 and r["rounds"] >= 2
    for row in r["accounts"]:
        for figure in ("payments_per_s", "balance_reads_per_s", "payments_per_s_ratio", "balance_reads_per_s_ratio",
                       "payments_cpu_ms", "balance_reads_cpu_ms", "payments_cpu_ratio", "balance_reads_cpu_ratio"):
            assert _finite(row[figure]["median"], row[figure]["min"], row[figure]["max"]), (figure, row)
        assert _finite(row["log_bound"]) and isinstance(row["within_log_bound"], bool)
        assert isinstance(row["within_log_bound_cpu"], bool)
    assert r["query_plans_at_largest"]["statements"] and isinstance(r["query_plans_at_largest"]["full_scans"], list)
    for row in r["journal"]:
        assert _finite(row["payments_per_s_ratio"], row["hot_history_pages_per_s_ratio"], row["postings"],
                       row["audit_verify_s"]["median"], row["audit_verify_cpu_s"]["median"])
        # Net of the fixed cost (measured with no journal): may come out at or below zero at CI's tiny sizes.
        for figure in ("audit_verify_s_per_million_postings", "audit_verify_s_per_million_transfers",
                       "audit_verify_cpu_s_per_million_postings", "audit_verify_per_entry_ratio",
                       "audit_verify_per_entry_cpu_ratio"):
            assert math.isfinite(row[figure])
    assert r["journal"][0]["postings"] < r["journal"][-1]["postings"]
    assert all(math.isfinite(r[f]) for f in ("audit_verify_marginal_s_per_million_postings", "audit_verify_fixed_s",
                                             "audit_verify_fixed_cpu_s", "audit_verify_per_entry_ratio",
                                             "audit_verify_per_entry_cpu_ratio", "journal_grow_transfers_per_s"))


@pytest.mark.slow
def test_the_voice_and_ui_benchmarks_report_their_ratios(results):
    voice, ui = results["voice"], results["ui_first_render"]
    assert _finite(voice["model_load_s"], voice["decode_ms_median"], voice["real_time_factor"],
                   voice["grammar_vs_free_speed_ratio"])
    assert _finite(ui["ratio_to_baseline"]["cold"], ui["ratio_to_baseline"]["warm"])
