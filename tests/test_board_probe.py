"""Board probes: one round trip over a real sshd, parsed from fake board trees (sysfs_root)."""

from __future__ import annotations

import pytest

from harness.boards import ssh_status
from harness.config import DeviceConfig
from harness.probes.board import (decode_throttled, parse_cpu_list, parse_l4t, parse_probe,
                                  probe_script, split_sections)
from sample_helpers import SAMPLES
from sshd_fixture import fake_board, no_agent, sshd, trusted  # noqa: F401


def board_cfg(server, kh, root) -> DeviceConfig:
    return DeviceConfig(name="b", transport="ssh", host="127.0.0.1", port=server.port,
                        user=server.user, key_file=str(server.client_key),
                        known_hosts=str(kh), sysfs_root=str(root))


def test_decode_throttled_bits():
    # Raspberry Pi docs: 0x50005 = under-voltage now (bit 0), throttled now (bit 2),
    # under-voltage has occurred (16), throttling has occurred (18)
    flags = decode_throttled("throttled=0x50005")
    assert {k for k, v in flags.items() if v} == {
        "under_voltage_now", "throttled_now", "under_voltage_since_boot",
        "throttled_since_boot"}
    assert not any(decode_throttled(0).values())
    assert {k for k, v in decode_throttled(0x80008).items() if v} == {
        "soft_temp_limit_now", "soft_temp_limit_since_boot"}
    assert decode_throttled(0x20002)["arm_freq_capped_now"] is True
    assert decode_throttled(0x20002)["arm_freq_capped_since_boot"] is True
    with pytest.raises(ValueError):
        decode_throttled("throttled=")


def test_l4t_to_jetpack_and_cpu_lists():
    assert parse_l4t("# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, "
                     "EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023") == {
        "l4t": "35.4.1", "jetpack": "5.1.2", "board": "t186ref"}
    assert parse_l4t("# R32 (release), REVISION: 7.1, GCID: 29818004")["jetpack"] == "4.6.1"
    assert parse_l4t("# R36 (release), REVISION: 3.0, GCID: 1")["jetpack"] == "6.0"
    assert parse_l4t("garbage") is None
    assert parse_cpu_list("0 1 2 3\n") == [0, 1, 2, 3]
    assert parse_cpu_list("0-3,6") == [0, 1, 2, 3, 6]


def test_sections_survive_missing_files():
    text = "@@model\nX\n@@compatible\n@@kernel\n5.1\n@@end\n"
    assert split_sections(text) == {"model": "X", "compatible": "", "kernel": "5.1"}
    assert parse_probe(text) == {"model": "X", "kernel": "5.1"}
    assert "'/x y'" in probe_script("/x y/")


def test_jetson_probe_over_ssh(sshd, trusted, tmp_path):
    root = fake_board(tmp_path / "jetson root", "jetson")
    st = ssh_status(board_cfg(sshd, trusted, root))
    assert st["state"] == "reachable"
    p = st["properties"]
    assert p["model"] == "NVIDIA Jetson Orin Nano Developer Kit"
    assert p["compatible"] == ["nvidia,p3768-0000+p3767-0005", "nvidia,p3767-0005",
                               "nvidia,tegra234"]
    assert p["soc"] == "nvidia,tegra234"
    assert p["kernel"] == "5.15.148-tegra" and p["os"] == "Ubuntu 22.04.5 LTS"
    assert p["ram_mb"] == 7619
    assert p["cpu_clusters"] == [
        {"policy": 0, "cpus": [0, 1, 2, 3], "max_khz": 1510400, "max_mhz": 1510.4},
        {"policy": 4, "cpus": [4, 5], "max_khz": 1510400, "max_mhz": 1510.4}]
    assert p["jetson"] == {"l4t": "36.4.3", "jetpack": "6.2", "board": "generic"}
    assert p["power_mode"] == {"name": "15W", "id": 0}
    assert "throttled" not in p and "npu_load" not in p


def test_pi_probe_decodes_throttling(sshd, trusted, tmp_path):
    p = ssh_status(board_cfg(sshd, trusted, fake_board(tmp_path / "pi", "pi")))["properties"]
    assert p["model"] == "Raspberry Pi 5 Model B Rev 1.0" and p["soc"] == "brcm,bcm2712"
    assert p["cpu_clusters"] == [{"policy": 0, "cpus": [0, 1, 2, 3], "max_khz": 2400000,
                                  "max_mhz": 2400.0}]
    assert p["throttled"]["raw"] == "0x50005"
    assert p["throttled"]["under_voltage_now"] and p["throttled"]["throttled_since_boot"]
    assert not p["throttled"]["soft_temp_limit_now"]
    assert "jetson" not in p and "power_mode" not in p


def test_rk3588_probe_shows_per_core_npu_load(sshd, trusted, tmp_path):
    p = ssh_status(board_cfg(sshd, trusted, fake_board(tmp_path / "rk", "rk3588")))["properties"]
    assert p["model"] == "Orange Pi 5" and p["soc"] == "rockchip,rk3588"
    assert [c["max_mhz"] for c in p["cpu_clusters"]] == [1800.0, 2256.0, 2256.0]
    assert [c["cpus"] for c in p["cpu_clusters"]] == [[0, 1, 2, 3], [4, 5], [6, 7]]
    # sample: "NPU load:  Core0: 63%, Core1: 65%, Core2: 64%,"
    assert p["npu_load"] == {"load_npu_core0_pct": 63.0, "load_npu_core1_pct": 65.0,
                             "load_npu_core2_pct": 64.0}
    assert "npu_load_invalid" not in p and "npu_load_raw" not in p
    assert p["ram_mb"] == 15740


def test_rk3588_npu_overflow_anomaly_is_invalid(sshd, trusted, tmp_path):
    root = fake_board(tmp_path / "rk", "rk3588",
                      npu_load=SAMPLES / "rknn" / "npu_load_rk3588_overflow_anomaly.txt")
    p = ssh_status(board_cfg(sshd, trusted, root))["properties"]
    # sample meta: Core0 99, Core1 99, Core2 429496 (counter underflow, not a load)
    assert p["npu_load"] == {"load_npu_core0_pct": 99.0, "load_npu_core1_pct": 99.0}
    assert p["npu_load_invalid"] == {"load_npu_core2_pct": 429496.0}


def test_npu_load_in_another_format_is_kept_raw():
    assert parse_probe("@@npu_load\nnpu: busy\n@@end\n") == {"npu_load_raw": "npu: busy"}


def test_probe_is_one_round_trip(sshd, trusted, tmp_path, monkeypatch):
    from harness.transports import ssh as ssh_mod
    calls = []
    real = ssh_mod.SshTransport._exec
    monkeypatch.setattr(ssh_mod.SshTransport, "_exec",
                        lambda self, cmd, combine=False: calls.append(cmd) or real(self, cmd,
                                                                                   combine))
    ssh_status(board_cfg(sshd, trusted, fake_board(tmp_path / "pi", "pi")))
    assert len(calls) == 1
