"""The drum card's part on the look-ahead model is written from the files its commands write."""

from export.card_drums import lookahead_section


def _scores(f_main: float) -> dict:
    classes = {c: {"f": f_main, "p": 0.5, "r": 0.75, "tracks": 1} for c in ("kick", "snare", "hihat")}
    return {"classes": classes, "f_main": f_main, "f_all": f_main}


def test_the_look_ahead_section_reports_the_gain_latency_and_choice():
    entry = {"look_ahead_frames": 2, "features": {"hop": 220, "sample_rate_hz": 22050}, "classes": ["kick"],
             "thresholds": [0.8], "time_offset_s": 0.0185}
    evaluation = {name: {"methods": {"model": _scores(0.70), "lookahead": _scores(0.70 + gain)}}
                  for name, gain in (("test_alone", 0.1), ("test_unseen_kit", 0.05))}
    bench = {"drums_onset_to_midi_ms": {"p50": 31.0, "p99": 40.0, "within_50ms": 0.93, "onsets": 66},
             "drums_realtime_factor": 100.0, "drums_realtime_factor_live_blocks": 30.0}
    text = "\n".join(lookahead_section(entry, [{"step": 10, "valid_loss": 0.1, "elapsed_s": 120.0}], evaluation,
                                       {"clip": {"methods": {"model": _scores(0.6), "lookahead": _scores(0.7)}}}, bench))
    assert "2 frames (20 ms)" in text and "0.050 to 0.100 on the 2 held-out sets" in text
    assert "93.0% of the clip's 66" in text and "p99 40.0 ms, over the budget of 30 ms" in text and "times shifted back by 18.5 ms" in text
    assert "- lookahead: recall kick 0.75" in text
    assert lookahead_section({}, [], {}, {}, {}) == []  # not exported here: no section
