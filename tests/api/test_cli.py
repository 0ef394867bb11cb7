"""The `lawful` command, run in-process."""

import json

import pytest

from api.cli import main
from engine import compile_ruleset, load_rules
from tests.conftest import DATA, RULES


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_passes_on_the_shipped_rules(capsys):
    code, out, _ = run(capsys, "check", str(RULES))
    assert code == 0 and "ok, gdpr 2026.1" in out and "ok, gdpr 2026.2" in out
    assert "note: rule consent.waiting.processing_continues can never match" in out


def test_test_reports_counts_and_coverage(capsys):
    files = load_rules(RULES / "2026.1")
    rules = len(compile_ruleset(files).rules)
    code, out, _ = run(capsys, "test", str(RULES), "--strict")
    assert code == 0
    assert f"gdpr 2026.1: {len(files.tests)} passed, 0 failed; 0 of {rules} rules not exercised by any test" in out
    total = len(files.tests) + len(load_rules(RULES / "2026.2").tests)
    assert out.strip().splitlines()[-1] == f"{total} passed, 0 failed"


def test_diff_lists_rules_and_parameters(capsys):
    code, out, _ = run(capsys, "diff", "2026.1", "2026.2", "--rules", str(RULES))
    assert code == 0
    assert out.splitlines() == [
        "gdpr@2026.1 -> gdpr@2026.2",
        "+ rule release.sensitive.third_party.never",
        "~ parameter bases.legitimate_interests.review_months: 24 -> 12",
        "~ parameter consent.waiting_period.default_days: 30 -> 21",
    ]


@pytest.mark.parametrize("kind", ["manifest", "parameters", "rules", "tests", "lifecycle"])
def test_schema_is_json_schema(capsys, kind):
    code, out, _ = run(capsys, "schema", kind)
    schema = json.loads(out)
    assert code == 0 and schema["$schema"].endswith("2020-12/schema")


def test_decide_reads_a_request(tmp_path, capsys):
    request = tmp_path / "req.json"
    request.write_text(
        json.dumps(
            {
                "question": "processing",
                "at": "2026-03-01T00:00:00Z",
                "module": {"name": "Leads"},
                "settings": {"compliance_enabled": True, "modules": ["Leads"]},
                "record": {"basis": "public_task"},
            }
        )
    )
    code, out, _ = run(capsys, "decide", str(request), "--rules", str(RULES))
    assert code == 0 and json.loads(out)["decided_by"] == "basis.public_task.allows"
    request.write_text('{"question": "processing", "at": "2026-03-01T00:00:00Z"}')
    code, _, err = run(capsys, "decide", str(request), "--rules", str(RULES))
    assert code == 2 and "Object missing required field 'module' - at $" in err


def test_import_and_modules(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LAWFUL_VAR", str(tmp_path / "var"))
    code, out, _ = run(capsys, "demo", "--people", "10")
    assert code == 0 and "demo: Leads: 10 records" in out
    code, out, err = run(capsys, "import", str(DATA / "contacts_latin1.csv"), "--module", "contacts")
    assert code == 2 and "error: import.encoding: contacts_latin1.csv:" in err and "--encoding latin-1" in err
    code, out, err = run(
        capsys, "import", str(DATA / "contacts_latin1.csv"), "--module", "contacts", "--encoding", "latin-1"
    )
    assert code == 0 and "50 rows, 50 created" in out
    code, out, err = run(capsys, "import", str(DATA / "leads_bom_semicolon.csv"), "--module", "leads")
    assert code == 1 and "not imported" in out and "leads_bom_semicolon.csv:" in err
    assert "not an email address" in err and "(found '" in err  # the one importing sees the bad value
    code, out, _ = run(capsys, "modules", "list")
    assert "Contacts: 55 fields, 23 personal" in out


def test_broken_rules_exit_one_with_every_problem(tmp_path, capsys):
    import shutil

    shutil.copytree(RULES / "2026.1", tmp_path / "v")
    path = tmp_path / "v" / "release.yaml"
    path.write_text(path.read_text().replace("channel.restricted", "channel.restrictd"))
    code, _, err = run(capsys, "check", str(tmp_path / "v"))
    assert code == 1 and err.count("unknown_fact") == 2 and "2 problems" in err


def test_modules_load_is_all_or_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    good = {"api_name": "Leads", "fields": [{"api_name": "Email", "label": "Email", "data_type": "email"}]}
    bad = {"api_name": "Vendors", "fields": [{"api_name": "X", "label": "X", "data_type": "hologram"}]}
    path = tmp_path / "fields.json"
    path.write_text(json.dumps({"modules": [good, bad]}))
    code, out, err = run(capsys, "modules", "load", str(path))
    assert code == 2 and "layout.unknown_type" in err and "Vendors" in err
    assert run(capsys, "modules", "list")[1] == ""
    path.write_text(json.dumps({"modules": [good]}))
    assert run(capsys, "modules", "load", str(path))[1].strip() == "Leads: 1 fields (layout version 1)"
    assert run(capsys, "modules", "load", str(path))[1].strip() == "Leads: 1 fields (layout version 1)"
    assert "no such file" in run(capsys, "modules", "load", str(tmp_path / "missing.json"))[2]


def test_settings_take_text_as_typed_and_refuse_bad_values_clearly(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LAWFUL_VAR", str(tmp_path / "var"))
    code, out, err = run(capsys, "settings", "set", "phone_country_code=31", "timezone=Europe/Amsterdam")
    assert code == 0, err
    saved = json.loads(out)
    assert saved["phone_country_code"] == "31" and saved["timezone"] == "Europe/Amsterdam"
    code, out, err = run(capsys, "settings", "set", "waiting_period_days=soon")
    assert code == 2 and "waiting_period_days" in err and "Traceback" not in err
    code, out, _ = run(capsys, "settings", "show")
    assert json.loads(out)["waiting_period_days"] is None  # the refused change stored nothing
    monkeypatch.delenv("USER", raising=False)  # as in a bare container: the account is still named
    from api.cli import cli_actor
    from api.storage import Store

    store = Store.open(f"sqlite:///{tmp_path / 'cli.db'}")
    assert store.settings_history()[-1]["changed_by"] == cli_actor() != "cli:unknown"


def test_users_are_disabled_and_enabled_but_the_last_admin_stays(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    for name in ("ada", "bo"):
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert run(capsys, "user", "add", name, "--role", "admin", "--password-stdin")[0] == 0
    assert run(capsys, "user", "disable", "ada") == (0, "user ada disabled\n", "")
    code, _, err = run(capsys, "user", "disable", "bo")
    assert code == 2 and "error: user.last_admin:" in err and "'bo' is the last one" in err
    assert run(capsys, "user", "enable", "ada") == (0, "user ada enabled with role admin\n", "")
    assert run(capsys, "user", "list")[1] == "ada\tadmin\tactive\nbo\tadmin\tactive\n"
    code, _, err = run(capsys, "user", "enable", "cy")
    assert code == 2 and "no user is named 'cy'" in err
    code, _, err = run(capsys, "user", "enable")
    assert code == 2 and "expected a user name: lawful user enable NAME" in err
