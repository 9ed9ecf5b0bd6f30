"""Round two, item 11 (RELIABILITY §7 leftover): annotator names made of look-alike
letters, which print like another annotator's name in `stats`, are refused at the
door (`annotate --annotator`, `web --annotators` files); ordinary names in any one
script still pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from duelist.store.annotator_names import name_problem

from reliability._cli import run

SPOOFS = {
    "cyrillic-a": "\u0430lice",           # Cyrillic а + Latin lice: prints as "alice"
    "greek-omicron": "b\u03bfb",          # Greek ο in "bob"
    "fullwidth": "\uff41lice",            # fullwidth ａ
    "math-bold": "\U0001d41blice",        # mathematical bold 𝐛
    "ligature": "\ufb01nn",               # ﬁ ligature: "finn"
}
FINE = ["alice", "Zoë", "José María", "Ольга", "Σοφία", "田中 さくら", "김민준", "annotator_2"]


@pytest.mark.parametrize("name", SPOOFS.values(), ids=SPOOFS.keys())
def test_look_alike_annotator_names_are_refused(name: str, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run(capsys, "annotate", "--db", tmp_path / "x.db", "--annotator", name)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--annotator" in err and ("look-alike" in err or "look alike" in err), err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("name", FINE)
def test_names_in_one_script_pass(name: str) -> None:
    assert name_problem(name) is None


def test_a_web_annotators_file_with_a_look_alike_name_is_refused(tmp_path: Path, capsys) -> None:
    from duelist.engine.errors import InputError
    from duelist.tui.cli.cmd_web import read_annotators_file

    names = tmp_path / "team.txt"
    names.write_text("alice\n\u0430lice\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_annotators_file(str(names))
    assert "line 2" in str(exc.value) and "look alike" in str(exc.value)
