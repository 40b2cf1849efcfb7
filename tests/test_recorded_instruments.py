"""The instrument models on the real recordings of Debian's sonic-pi-samples."""

import pytest

from export.data.drum_kits import SONIC_PI_SAMPLES

pytestmark = pytest.mark.skipif(not SONIC_PI_SAMPLES.exists(), reason="needs the Debian package sonic-pi-samples "
                                                                      "(scripts/install.sh installs it with the train extra)")


def test_the_recordings_are_written_for_the_peer_and_scored_by_the_shipped_graph(tmp_path):
    """Seven recordings alone and four mixes; without the musicnn peer's files only the shipped graph is scored.
    The break is heard as drums above everything else (AUC 1.0 when the graph shipped: a floor below it)."""
    from export.evaluate_recorded_instruments import evaluate, markdown_table, write_tracks

    folders = write_tracks(tmp_path)
    assert [f.name for f in folders] == ["mix", "solo"]
    assert len(list((tmp_path / "solo").glob("*.wav"))) == 7 and len(list((tmp_path / "mix").glob("*.wav"))) == 4

    report = evaluate(tmp_path, runs=tmp_path)
    assert report["tracks"] == {"solo": 7, "mix": 4}
    assert set(report["active_seconds"]) == {"drums", "guitar", "piano", "voice"}
    assert list(report["auc"]) == ["shipped"] and report["auc"]["shipped"]["1s"]["drums"] >= 0.95
    assert report["heard_alone"]["loop_amen_full"][0][0] == "drums"
    assert "| shipped | 1s |" in markdown_table(report)
