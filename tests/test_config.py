import pytest

from bridge.config import ConfigError, load_config


def test_defaults_listen_on_loopback_only():
    config = load_config()
    assert config.osc.listen_host == "127.0.0.1" and config.osc.listen_port == 9000


def test_user_file_overrides_only_its_keys(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[osc]\nlisten_host = "0.0.0.0"\n[clock]\ntempo_bpm = 90\n')
    config = load_config(path)
    assert config.osc.listen_host == "0.0.0.0" and config.clock.tempo_bpm == 90.0 and config.osc.send_port == 9001


def test_drum_thresholds_per_class_are_a_table(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[drums]\nthreshold = 0.5\n[drums.thresholds]\nhihat = 0.4\nkick = 1\n")
    config = load_config(path)
    assert config.drums.threshold == 0.5 and config.drums.thresholds == {"hihat": 0.4, "kick": 1.0}
    assert load_config().drums.thresholds == {}


def test_held_drum_velocity_references_are_a_table_of_drums_in_dbfs(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[drums.velocity_references]\nkick = -9.5\nhihat = -20\n")
    assert load_config(path).drums.velocity_settings().references == {"kick": -9.5, "hihat": -20.0}
    assert load_config().drums.velocity_settings().references == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ('[drums]\nthresholds = 0.4\n', "thresholds must be a table"),
        ("[drums.velocity_references]\ncowbell = -3\n", r"cowbell: no such drum"),
        ("[drums.velocity_references]\nkick = 3\n", r"kick must be from -200 to 0 \(dBFS\)"),
        ('[drums.thresholds]\nhihat = "soft"\n', r"\[drums\] thresholds.hihat must be a number"),
        ("[osc]\nlisten_prot = 1\n", "unknown key"),
        ("[oscc]\n", "unknown section"),
        ('[osc]\nlisten_port = "9000"\n', "must be an integer"),
        ('[midi]\napi = "coreaudio"\n', "must be one of"),
        ("[osc\n", "not valid TOML"),
        ("[instruments]\nupdates_per_s = 0\n", r"\[instruments\] updates_per_s must be more than 0 and at most 50"),
        ("[drums]\nchannel = 17\n", r"\[drums\] channel must be at least 1 and at most 16, got 17"),
        ("[drums]\nthreshold = 1.5\n", "threshold must be at least 0 and at most 0.99"),
        ("[clock]\nbeat_unit = 3\n", r"beat_unit must be one of \[1, 2, 4, 8, 16\]"),
        ("[audio]\nring_seconds = 0\n", "ring_seconds must be at least 0.5"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
