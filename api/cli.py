"""The `lawful` command: serve, check, test, decide, diff, schema, import, modules, demo."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from engine import (
    FILE_KINDS,
    DecisionRequest,
    LawfulError,
    RuleFileError,
    compile_ruleset,
    diff_rulesets,
    evaluate,
    file_schema,
    find_versions,
    load_library,
    load_rules,
    run_rule_tests,
)

from .config import DEFAULT_RULES, Config

Command = Callable[[argparse.Namespace], int]


def cli_actor() -> str:
    """Who makes a change from the command line, for timelines and history: the system account."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this user id (a bare container)
        name = f"uid {os.getuid()}"
    return f"cli:{name}"


def _print_problems(error: LawfulError) -> None:
    for problem in error.problems or ():
        print(problem, file=sys.stderr)
    if not error.problems:
        print(f"error: {error}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    failed = False
    for path in args.paths:
        for directory in _versions(path):
            try:
                ruleset = compile_ruleset(files := load_rules(directory))
            except RuleFileError as exc:
                failed = True
                _print_problems(exc)
                print(f"{exc.message}", file=sys.stderr)
                continue
            unreachable = [r.id for r in ruleset.rules if not r.reachable]
            print(
                f"{ruleset.source}: ok, {ruleset.name} {ruleset.version}, {len(ruleset.rules)} rules, {len(files.tests)} tests"
            )
            for rule_id in unreachable:
                rule = ruleset.rule(rule_id)
                print(f"{rule.file}:{rule.line}: note: rule {rule_id} can never match with this version's parameters")  # type: ignore[union-attr]
    return 1 if failed else 0


def cmd_test(args: argparse.Namespace) -> int:
    passed = failed = 0
    uncovered_total = 0
    for path in args.paths:
        for directory in _versions(path):
            try:
                files = load_rules(directory)
                report = run_rule_tests(files, compile_ruleset(files))
            except RuleFileError as exc:
                _print_problems(exc)
                failed += 1
                continue
            for result in report.failed:
                for failure in result.failures:
                    print(f"{result.file}:{result.line}: FAIL {result.name}: {failure}")
            count_failed = len(report.failed)
            passed += len(report.results) - count_failed
            failed += count_failed
            uncovered_total += len(report.uncovered)
            print(
                f"{files.manifest.item.ruleset} {report.ruleset.version}: {len(report.results) - count_failed} passed, "
                f"{count_failed} failed; {len(report.uncovered)} of {report.rule_count} rules not exercised by any test"
            )
            for rule_id in report.uncovered:
                print(f"  not exercised: {rule_id}")
            for rule_id in report.unreachable:
                print(f"  cannot match with these parameters: {rule_id}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or (args.strict and uncovered_total) else 0


def cmd_decide(args: argparse.Namespace) -> int:
    if args.request != "-" and not Path(args.request).is_file():
        print(f"error: {args.request}: no such file (expected a decision request as JSON)", file=sys.stderr)
        return 2
    text = sys.stdin.buffer.read() if args.request == "-" else Path(args.request).read_bytes()
    from .bodies import decode_body

    if args.stored:
        from .app import Services
        from .decisions import DecisionQuery

        services = Services(Config.from_env(database_url=args.database, rules_path=args.rules))
        decision = services.decisions.decide(decode_body(text, DecisionQuery))
    else:
        request = decode_body(text, DecisionRequest)
        decision = evaluate(load_library(args.rules).active(request.at, args.version), request)
    print(msgspec.json.format(msgspec.json.encode(decision)).decode())
    return 0 if decision.effect == "allow" else 3


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = _one_version(args.old, args.rules), _one_version(args.new, args.rules)
    diff = diff_rulesets(old, new)
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(diff)).decode())
        return 0
    print(f"{diff.old} -> {diff.new}")
    for rule_id in diff.added:
        print(f"+ rule {rule_id}")
    for rule_id in diff.removed:
        print(f"- rule {rule_id}")
    for change in diff.changed:
        for key, (before, after) in change.changes.items():
            print(
                f"~ rule {change.id}: {key}: {json.dumps(before, ensure_ascii=False)} -> {json.dumps(after, ensure_ascii=False)}"
            )
    for param in diff.parameters:
        print(
            f"~ parameter {param.path}: {json.dumps(param.old, ensure_ascii=False)} -> {json.dumps(param.new, ensure_ascii=False)}"
        )
    if diff.is_empty:
        print("no differences")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for kind in FILE_KINDS:
            (out / f"lawful-{kind}.schema.json").write_text(
                json.dumps(file_schema(kind), indent=2) + "\n", encoding="utf-8"
            )
            print(out / f"lawful-{kind}.schema.json")
        return 0
    print(json.dumps(file_schema(args.kind), indent=2))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .app import Services
    from .importer import import_csv
    from .progress import ProgressBar

    services = Services(Config.from_env(database_url=args.database))
    store = services.store
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    with ProgressBar(f"importing {path.name}") as bar:
        report = import_csv(
            store,
            path,
            args.module,
            encoding=args.encoding,
            actor=cli_actor(),
            progress=bar.update,
            screen=services.records.screen,
        )
    for warning in report.warnings:
        print(f"{path}: warning: {warning}", file=sys.stderr)
    for problem in report.problems:
        found = f" (found {problem.found!r})" if problem.found is not None else ""
        print(f"{path}:{problem.line}: {problem.code}: {problem.message}{found}", file=sys.stderr)
    for flag in report.flagged:
        print(f"{path}:{flag.line}: warning: {flag.code}: {flag.message}", file=sys.stderr)
    print(
        f"{path.name} -> {report.module}: {report.rows} rows, {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.failed} not imported"
    )
    return 1 if report.failed else 0


def cmd_modules(args: argparse.Namespace) -> int:
    from engine import Problem, RequestError

    from .layouts import check_layout, layouts_from_metadata
    from .rules_host import RulesHost
    from .storage import Store

    config = Config.from_env(database_url=args.database)
    store = Store.open(config.database_url)
    if args.action == "load":
        if not args.file or not Path(args.file).is_file():
            print(
                f"error: {args.file or 'a file'}: no such file (expected CRM field metadata as JSON)", file=sys.stderr
            )
            return 2
        layouts = layouts_from_metadata(Path(args.file).read_bytes())
        params = RulesHost(config.rules_path).active(store.clock(), store.settings().pinned_version).parameters
        problems = [
            Problem(p.code, f"{layout.name}: {p.message}", path=p.path)
            for layout in layouts
            for p in check_layout(layout, params)
        ]
        if problems:  # all or nothing: one bad module loads none
            raise RequestError(
                "layout.invalid", f"{args.file}: {len(problems)} problem(s); no module was loaded", problems
            )
        for layout in layouts:
            stored = store.put_module(layout, cli_actor())
            print(f"{stored.name}: {len(stored.fields)} fields (layout version {stored.layout_version})")
        return 0
    for name in store.module_names():
        layout = store.module(name)
        personal = sum(1 for f in layout.fields if f.classification != "none")
        print(f"{name}: {len(layout.fields)} fields, {personal} personal")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .app import Services
    from .demo import ensure_demo_access, seed_demo

    if not 1 <= args.people <= 10_000:
        print("error: --people must be between 1 and 10000", file=sys.stderr)
        return 2
    config = Config.from_env(database_url=args.database)
    services = Services(config)
    reports = seed_demo(
        services.store, services.lifecycles, config.var_dir / "demo", people=args.people, screen=services.records.screen
    )
    if not reports:
        print("the database already has records; no demo records added")
    for report in reports:
        print(f"demo: {report.module}: {report.created} records from {report.file}")
    for path in ensure_demo_access(services.store, config.var_dir):
        print(f"demo: wrote {path} (admin credentials; keep them out of version control)")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from .app import Services
    from .storage import ControllerSettings

    services = Services(Config.from_env(database_url=args.database))
    current = services.store.settings()
    if args.action == "show":
        print(msgspec.json.format(msgspec.json.encode(current)).decode())
        return 0
    keys = [name for name in ControllerSettings.__struct_fields__ if name != "version"]
    changes: dict[str, object] = {}
    for item in args.changes:
        key, sep, text = item.partition("=")
        if not sep or key not in keys:
            print(f"error: expected KEY=VALUE with KEY one of {', '.join(keys)}, found {item!r}", file=sys.stderr)
            return 2
        changes[key] = _setting_value(key, text)
    try:
        new = msgspec.convert({**msgspec.to_builtins(current), **changes}, type=ControllerSettings)
    except msgspec.ValidationError as exc:
        print(f"error: {exc}".replace("$.", "setting "), file=sys.stderr)
        return 2
    saved = services.settings.change(new, cli_actor())
    print(msgspec.json.format(msgspec.json.encode(saved)).decode())
    return 0


_TEXT_SETTINGS = ("timezone", "phone_country_code", "pinned_version")


def _setting_value(key: str, text: str) -> object:
    """Read a setting's value from the command line: lists by comma, text as typed, the rest as JSON."""
    if key in ("modules", "withheld"):
        return [part.strip() for part in text.split(",") if part.strip()]
    if key in _TEXT_SETTINGS:
        return None if text.strip() in ("", "null") and key != "timezone" else text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def cmd_sweep(args: argparse.Namespace) -> int:
    from .app import Services

    services = Services(Config.from_env(database_url=args.database))
    if args.mail_now:  # the mail server is back: no need to wait out each message's pause
        services.store.make_mail_due()
    done = services.sweep(cli_actor())
    print(
        f"sweep: {done['moved']} record(s) moved from waiting to no_response; {done['submissions_expired']} unconfirmed "
        f"submission(s) expired; {done['mail_sent']} queued mail(s) sent"
    )
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    import getpass

    from .auth import hash_password
    from .storage import Store

    store = Store.open(Config.from_env(database_url=args.database).database_url)
    if args.action == "list":
        for user in store.users():
            print(f"{user.username}\t{user.role}\t{'disabled' if user.disabled_at else 'active'}")
        return 0
    if not args.username:
        print(f"error: expected a user name: lawful user {args.action} NAME", file=sys.stderr)
        return 2
    if args.action == "disable":
        store.disable_user(args.username, cli_actor())
        print(f"user {args.username} disabled")
        return 0
    if args.action == "enable":
        user = store.enable_user(args.username, cli_actor())
        print(f"user {user.username} enabled with role {user.role}")
        return 0
    password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass(f"password for {args.username}: ")
    )
    user = store.add_user(args.username, hash_password(password), args.role, cli_actor())
    print(f"user {user.username} created with role {user.role}")
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    from .auth import new_api_key
    from .storage import Store

    store = Store.open(Config.from_env(database_url=args.database).database_url)
    if args.action == "list":
        for key in store.keys():
            print(f"{key.id}\t{key.prefix}\t{key.name}\t{key.role}\t{'revoked' if key.revoked_at else 'active'}")
        return 0
    if args.action == "revoke":
        store.revoke_key(int(args.name))
        print(f"key {args.name} revoked")
        return 0
    token, prefix, hashed = new_api_key()
    store.add_key(prefix, hashed, args.name, args.role, cli_actor())
    print(token)
    print(f"API key {args.name!r} with role {args.role}: shown once, keep it safe", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["LAWFUL_DATABASE_URL"] = Config.from_env(database_url=args.database).database_url
    os.environ["LAWFUL_RULES"] = str(args.rules)
    # Links in mails point at this server unless a public address is configured.
    os.environ.setdefault("LAWFUL_PUBLIC_URL", f"http://{args.host}:{args.port}")
    if args.demo:
        cmd_demo(argparse.Namespace(database=args.database, people=300))
    load_library(args.rules)  # fail before binding the port when the rule files are broken
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
    )
    return 0


def _versions(path: str) -> list[Path]:
    found = find_versions(path)
    if not found:
        raise RuleFileError([], f"{path}: expected ruleset version directories with a manifest.yaml, found none")
    return found


def _one_version(name: str, rules: str):  # type: ignore[no-untyped-def]
    path = Path(name)
    if path.is_dir():
        return compile_ruleset(load_rules(path))
    return load_library(rules).get(name)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `lawful` command."""
    parser = argparse.ArgumentParser(prog="lawful", description="GDPR compliance engine for CRM data.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    def database(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--database", default=None, help="database URL (default: $LAWFUL_DATABASE_URL or sqlite:///var/lawful.db)"
        )

    def rules(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--rules",
            default=os.environ.get("LAWFUL_RULES", DEFAULT_RULES),
            help="ruleset directory (default: rules/gdpr)",
        )

    p = add("serve", cmd_serve, "run the HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes")
    database(p)
    rules(p)
    p.add_argument("--demo", action="store_true", help="seed demo modules and records into an empty database first")

    p = add("check", cmd_check, "load and compile rule files; report every problem as file:line: code: message")
    p.add_argument("paths", nargs="*", default=["rules"])

    p = add("test", cmd_test, "run the rule tests beside the rules and report rules no test exercises")
    p.add_argument("paths", nargs="*", default=["rules"])
    p.add_argument("--strict", action="store_true", help="fail when a rule is not exercised by any test")

    p = add("decide", cmd_decide, "answer one decision request given as JSON (a file or - for stdin)")
    p.add_argument("request")
    rules(p)
    p.add_argument("--version", help="pin a ruleset version")
    p.add_argument(
        "--stored",
        action="store_true",
        help="the request names a stored record (record_id): read facts from the database",
    )
    database(p)

    p = add("diff", cmd_diff, "list the rules and parameters that changed between two versions")
    p.add_argument("old", help="a version number (e.g. 2026.1) or a version directory")
    p.add_argument("new")
    rules(p)
    p.add_argument("--json", action="store_true")

    p = add("schema", cmd_schema, "print the JSON Schema of a kind of rule file, for editors")
    p.add_argument("kind", nargs="?", default="rules", choices=sorted(FILE_KINDS))
    p.add_argument("--out", help="write every kind's schema into this directory")

    p = add("import", cmd_import, "import a CRM export (CSV) into a module")
    p.add_argument("file")
    p.add_argument("--module", required=True)
    p.add_argument("--encoding", help="the file's encoding when it is not UTF-8, e.g. latin-1")
    database(p)

    p = add("modules", cmd_modules, "list modules, or load their layouts from CRM field metadata (JSON)")
    p.add_argument("action", choices=["list", "load"])
    p.add_argument("file", nargs="?")
    database(p)

    p = add(
        "user",
        cmd_user,
        "add, list, disable or enable users (roles: admin, analyst, marketer, app); the last enabled admin stays",
    )
    p.add_argument("action", choices=["add", "list", "disable", "enable"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", choices=["admin", "analyst", "marketer", "app"], default="admin")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    database(p)

    p = add("key", cmd_key, "create, list or revoke API keys; a new key is printed once")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("name", nargs="?", help="what uses the key (create), or its id (revoke)")
    p.add_argument("--role", choices=["admin", "analyst", "marketer", "app"], default="app")
    database(p)

    p = add(
        "settings",
        cmd_settings,
        "show the compliance settings, or change them: lawful settings set compliance_enabled=true modules=Leads,Contacts",
    )
    p.add_argument("action", choices=["show", "set"])
    p.add_argument("changes", nargs="*", help="KEY=VALUE; lists comma-separated; objects as JSON")
    database(p)

    p = add(
        "sweep",
        cmd_sweep,
        "move records whose consent waiting period is over to no_response (C3), and send queued mail",
    )
    database(p)
    p.add_argument(
        "--mail-now", action="store_true", help="try every queued message now, not only those whose pause is over"
    )

    p = add("demo", cmd_demo, "seed an empty database with demo modules and invented records")
    p.add_argument("--people", type=int, default=300)
    database(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lawful` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except RuleFileError as exc:
        _print_problems(exc)
        print(exc.message, file=sys.stderr)
        return 1
    except LawfulError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        print(f"error: request.invalid: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
