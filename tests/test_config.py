from pathlib import Path

import pytest

from harness.config import ConfigError, load_device, load_devices


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "board.yaml"
    p.write_text(text)
    return p


def test_valid_config_loads(tmp_path):
    d = load_device(write(tmp_path, "name: rk\ntransport: ssh\nhost: 10.0.0.2\nport: 22\n"
                                    "memory_bandwidth_gbps: 51.2\n"))
    assert (d.name, d.transport, d.port, d.memory_bandwidth_gbps) == ("rk", "ssh", 22, 51.2)


def test_malformed_yaml_names_file_and_line(tmp_path):
    p = write(tmp_path, "name: rk\ntransport: ssh\nhost: [unclosed\nport: 22\n")
    with pytest.raises(ConfigError, match=rf"{p}:\d+: malformed YAML"):
        load_device(p)


def test_unknown_field_names_line_and_field(tmp_path):
    p = write(tmp_path, "name: rk\ntransport: ssh\nhots: x\n")
    with pytest.raises(ConfigError) as e:
        load_device(p)
    assert str(e.value) == f"{p}:3: field 'hots': unknown field"


def test_wrong_type_names_line_and_field(tmp_path):
    p = write(tmp_path, "name: rk\n\nport: twenty\n")
    with pytest.raises(ConfigError, match=rf"{p}:3: field 'port'"):
        load_device(p)


def test_unknown_transport_rejected(tmp_path):
    p = write(tmp_path, "name: rk\ntransport: telnet\n")
    with pytest.raises(ConfigError, match=r":2: field 'transport'"):
        load_device(p)


def test_local_always_present(tmp_path):
    assert list(load_devices(tmp_path / "missing")) == ["local"]
