"""A model card's Latency section is rewritten from the bench report alone (``card FAMILY --only latency``), and its
hand-written history from its file (``--only history``)."""

import subprocess
import sys
from pathlib import Path

import pytest

from export.provenance import replace_history, replace_section
from export.release_inpaint import latency_section

REPO = Path(__file__).parents[1]


def test_the_latency_section_is_rewritten_and_the_rest_of_the_card_kept(tmp_path):
    card = tmp_path / "inpaint_card.md"
    card.write_text("# Card\n\n## Parity\n\nsame\n\n## Latency\n\n| inpaint_1bars_ms | 8.36 | 9.06 |\n\n"
                    "## Size trade-off\n\nkept\n")
    bench = {"inpaint_1bars_ms": {"p50": 3.6503, "p99": 3.9091}, "osc_roundtrip_ms": {"p50": 0.07}}
    replace_section(card, latency_section(bench))
    text = card.read_text()
    assert "| inpaint_1bars_ms | 3.65 | 3.91 |" in text and "8.36" not in text
    assert "osc_roundtrip_ms" not in text  # only the inpainting paths
    assert "## Parity\n\nsame\n" in text and text.endswith("## Size trade-off\n\nkept\n")


def test_a_card_without_the_section_is_left_alone_with_a_clear_error(tmp_path):
    card = tmp_path / "inpaint_card.md"
    card.write_text("# Card\n")
    with pytest.raises(ValueError, match="no '## Latency' section"):
        replace_section(card, latency_section({}))
    assert card.read_text() == "# Card\n"


def test_a_section_the_card_lacks_goes_before_the_heading_named(tmp_path):
    card = tmp_path / "card.md"
    card.write_text("# Card\n\n## Evaluation\n\nfigures\n\n## Parity\n\nsame\n")
    replace_section(card, ["## Recorded", "", "new", ""], before="## Parity")
    assert card.read_text() == "# Card\n\n## Evaluation\n\nfigures\n\n## Recorded\n\nnew\n\n## Parity\n\nsame\n"
    replace_section(card, ["## Recorded", "", "newer", ""], before="## Parity")  # now it has it: rewritten in place
    assert card.read_text().count("## Recorded") == 1 and "newer" in card.read_text()


def test_the_history_is_rewritten_from_its_first_line_to_the_next_heading(tmp_path):
    history, card = tmp_path / "history.md", tmp_path / "card.md"
    history.write_text("**First entry.** kept\n\n**Second entry.** new\n")
    card.write_text("# Card\n\n## Chosen\n\ngenerated\n\n**First entry.** kept\n\n## Latency\n\nfast\n")
    replace_history(card, history)
    assert card.read_text() == ("# Card\n\n## Chosen\n\ngenerated\n\n**First entry.** kept\n\n**Second entry.** new\n\n"
                                "## Latency\n\nfast\n")
    history.write_text("**Renamed entry.**\n")
    with pytest.raises(ValueError, match="does not hold history.md"):
        replace_history(card, history)


@pytest.mark.parametrize("family, only", [("drums", "latency"), ("instruments", "latency"), ("inpaint", "latency"),
                                          ("drums", "history"), ("instruments", "history")])
def test_card_only_needs_no_run_folder_and_changes_only_its_section(tmp_path, family, only):
    """On the shipped cards, bench reports and histories, with no run or data folder: the command rewrites the
    section from the committed files, which wrote it, so the card comes out as it went in."""
    out = tmp_path / "models"
    out.mkdir()
    for name in ("manifest.json", f"{family}_card.md"):
        (out / name).write_text((REPO / "models_onnx" / name).read_text())
    run = subprocess.run([sys.executable, "-m", "export", "card", family, "--only", only, "--out", str(out),
                          "--runs", str(tmp_path / "no-runs"), "--data", str(tmp_path / "no-data")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (out / f"{family}_card.md").read_text() == (REPO / "models_onnx" / f"{family}_card.md").read_text()
