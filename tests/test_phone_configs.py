"""The shipped phone configs validate and state the facts the issue asks for."""

from __future__ import annotations

import pytest

from conftest import REPO
from harness.config import load_device
from harness.device_facts import affinity_mask

PHONES = ["pixel-8", "galaxy-s24", "xiaomi-14", "vivo-x100"]


@pytest.mark.parametrize("name", PHONES)
def test_phone_config_is_complete_and_cited(name):
    path = REPO / "device_configs" / f"{name}.yaml"
    cfg = load_device(path)
    assert cfg.transport == "adb" and cfg.abi == "android-arm64-v8a"
    assert cfg.memory_bandwidth_gbps and cfg.soc
    cpus = [c for cl in cfg.cpu_clusters for c in cl.cpus]
    assert cpus == list(range(len(cpus)))  # every core in exactly one policy, in order
    assert [cl.policy for cl in cfg.cpu_clusters] == [cl.cpus[0] for cl in cfg.cpu_clusters]
    assert all(cl.max_khz for cl in cfg.cpu_clusters)
    assert int(cfg.affinity, 16) & ~int(affinity_mask(cfg.cpu_clusters,
                                                      [c.policy for c in cfg.cpu_clusters]), 16) == 0
    assert cfg.telemetry.zones and cfg.telemetry.battery.current_unit
    assert cfg.resolved_workdir() == "/data/local/tmp/devicebench"
    text = path.read_text()
    assert "Sources:" in text and "[1]" in text


def test_cluster_facts():
    px = load_device(REPO / "device_configs" / "pixel-8.yaml")
    assert [(c.core, c.max_khz) for c in px.cpu_clusters] == [
        ("Cortex-A510", 1704000), ("Cortex-A715", 2367000), ("Cortex-X3", 2914000)]
    assert affinity_mask(px.cpu_clusters, [4, 8]) == "1f0"
    d93 = load_device(REPO / "device_configs" / "vivo-x100.yaml")
    assert affinity_mask(d93.cpu_clusters, [4, 7]) == "f0" == d93.affinity
