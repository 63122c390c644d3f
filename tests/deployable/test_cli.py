"""``heat-deltacloud translate``."""

import json

from heat_deltacloud.cli import main


def test_translate_writes_the_template(paths, tmp_path, capsys):
    out = tmp_path / "t.json"
    rc = main(["translate", str(paths.example / "deployable.xml"),
               "--mapping", str(paths.example / "mapping.json"),
               "--hwp", "small=m1-xlarge", "--image", "wordpress-db=img3",
               "--no-wait-conditions", "-o", str(out)])
    assert rc == 0
    template = json.loads(out.read_text())
    params = template["Parameters"]
    assert params["FlavorSmall"]["Default"] == "m1-xlarge"
    assert params["FlavorLarge"]["Default"] == "m1-large"
    assert params["ImageWordpressDb"]["Default"] == "img3"
    assert "BootTimeout" not in params
    assert capsys.readouterr().out == ""


def test_translate_to_stdout_is_deterministic(paths, capsys):
    args = ["translate", str(paths.corpus / "audrey__wordpress.xml")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert "ApacheWaitCondition" in json.loads(first)["Resources"]


def test_errors_one_per_line_on_stderr(paths, capsys):
    path = paths.corpus / ("conductor__factories-deployable.rb__"
                           "deployable_with_not_existing_references.xml")
    assert main(["translate", str(path), "--validate-only"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 3
    assert lines[2] == (f"{path}:27: reference assembly2.service1.param1: "
                        f"references not existing assembly assembly3")


def test_validate_only_writes_nothing(paths, tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["translate", str(paths.example / "deployable.xml"),
                 "--validate-only", "-o", str(out)]) == 0
    assert not out.exists()
    assert capsys.readouterr() == ("", "")


def test_bad_mapping_option_is_one_line(paths, capsys):
    assert main(["translate", str(paths.example / "deployable.xml"),
                 "--hwp", "small"]) == 2
    assert capsys.readouterr().err == (
        "heat-deltacloud translate: error: --hwp 'small': expected "
        "NAME=VALUE\n")


def test_missing_file_is_a_command_line_mistake(tmp_path, capsys):
    # Before: exit 1 with "nope.xml:: file: No such file or directory".
    missing = tmp_path / "nope.xml"
    assert main(["translate", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"heat-deltacloud translate: error: {missing}: no such file\n")


def test_unwritable_output_is_one_line(paths, tmp_path, capsys):
    out = tmp_path / "missing-dir" / "t.json"
    assert main(["translate", str(paths.example / "deployable.xml"),
                 "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"heat-deltacloud: cannot write {out}: No such file or directory\n")


def test_translation_limits_are_reported_like_checks(paths, capsys):
    path = paths.data / "hard_cycle.xml"
    assert main(["translate", str(path), "--validate-only"]) == 1
    expected = (paths.data / "hard_cycle.errors").read_text()
    assert capsys.readouterr().err == expected.replace(
        "hard_cycle.xml:", f"{path}:")
