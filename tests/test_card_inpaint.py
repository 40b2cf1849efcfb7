"""The inpainting card's latency section is rewritten from the bench report alone."""

import json

import pytest

from export.release_inpaint import refresh_latency


def test_refresh_latency_rewrites_only_the_latency_section(tmp_path):
    card = tmp_path / "inpaint_card.md"
    card.write_text("# Card\n\n## Parity\n\nsame\n\n## Latency\n\n| inpaint_1bars_ms | 8.36 | 9.06 |\n\n"
                    "## Size trade-off\n\nkept\n")
    bench = tmp_path / "results.json"
    bench.write_text(json.dumps({"inpaint_1bars_ms": {"p50": 3.6503, "p99": 3.9091}, "osc_roundtrip_ms": {"p50": 0.07}}))
    refresh_latency(card, bench)
    text = card.read_text()
    assert "| inpaint_1bars_ms | 3.65 | 3.91 |" in text and "8.36" not in text
    assert "osc_roundtrip_ms" not in text  # only the inpainting paths
    assert "## Parity\n\nsame\n" in text and text.endswith("## Size trade-off\n\nkept\n")


def test_refresh_latency_says_when_the_card_has_no_latency_section(tmp_path):
    card = tmp_path / "inpaint_card.md"
    card.write_text("# Card\n")
    with pytest.raises(ValueError, match="no '## Latency' section"):
        refresh_latency(card, tmp_path / "results.json")
