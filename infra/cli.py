"""`youth-guarantee`: run the stack, seed demo data, print development tokens, benchmark and reindex."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

from infra.stack import REPO, SERVICES, UI, Paths, Stack, StackError, development_keys, stop_from_pid_files

app = typer.Typer(help="Youth Guarantee platform: local stack and tools.", no_args_is_help=True)

RUN_DIR = Path(os.environ.get("YG_RUN_DIR", REPO / ".run")).resolve()


def _stack_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("YG_ENV", "development")
    env["YG_DATA_DIR"] = str(Path(env.get("YG_DATA_DIR", REPO / "data")).resolve())
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _seed_unless_populated(*, force: bool = False, random_seed: int = 2026) -> None:
    """Seed demo data into an empty database (or add more when forced)."""
    from infra.seed import seed_all
    from infra.seed.profiles import profile_count

    existing = profile_count()
    if existing and not force:
        typer.echo(f"seed: the database already holds {existing} young people; not seeding (seed --force adds more)")
        return
    typer.echo("seed: adding synthetic demo data")
    for line in seed_all(seed=random_seed):
        typer.echo(f"seed: {line}")


def _start(stack: Stack) -> None:
    os.environ.update(stack.env)
    if stack.env.get("YG_ENV", "development") != "production":
        typer.echo(f"keys: development signing keys and their JWKS at {development_keys()}")
    typer.echo(stack.start_broker())
    if stack.env.get("SEED", "1") == "0":
        typer.echo("seed: skipped (SEED=0)")
    else:
        _seed_unless_populated()
    typer.echo(stack.start_mail_server())
    for line in stack.start_services():
        typer.echo(line)
    typer.echo(stack.start_relay())
    typer.echo(stack.start_ui())
    for line in stack.wait_ready():
        typer.echo(line)


def _print_urls() -> None:
    typer.echo("\nThe Youth Guarantee stack is up:")
    for component in (*SERVICES, UI):
        if component.is_built():
            docs = "" if component is UI else f"  (API docs {component.url}/docs)"
            typer.echo(f"  {component.name:<14} {component.url}{docs}")
    typer.echo(f"  inbox          {UI.url}/dev_inbox  (development: the mail the notifications service sent)")
    typer.echo(f"  logs           {RUN_DIR / 'logs'}")
    typer.echo("Get a token for the APIs: youth-guarantee token --role adviser")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@app.command()
def run() -> None:
    """Start the whole stack in the foreground; Ctrl-C stops every process."""
    stack = Stack(RUN_DIR, _stack_env())
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (a background job)
        signal.signal(signum, _interrupt)
    try:
        _start(stack)
        _print_urls()
        typer.echo("Press Ctrl-C to stop.")
        while True:
            time.sleep(1.0)
            problem = stack.check_alive()
            if problem:
                typer.echo(f"stopping: {problem}", err=True)
                break
    except KeyboardInterrupt:
        pass
    except StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        stack.stop()
        raise typer.Exit(1) from exc
    finally:
        stopped = stack.stop()
        if stopped:
            typer.echo(f"stopped: {', '.join(stopped)}")


@app.command()
def up() -> None:
    """Start the stack in the background; returns once every service answers /ready."""
    stack = Stack(RUN_DIR, _stack_env())
    try:
        _start(stack)
    except (StackError, KeyboardInterrupt) as exc:
        typer.echo(f"error: {exc}", err=True)
        stack.stop()
        raise typer.Exit(1) from exc
    _print_urls()
    typer.echo("Stop it with: youth-guarantee down")


@app.command()
def down() -> None:
    """Stop a stack started with `up`."""
    stopped = stop_from_pid_files(Paths(RUN_DIR))
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def seed(
    force: Annotated[bool, typer.Option(help="Seed even if the database already holds people.")] = False,
    random_seed: Annotated[int, typer.Option(help="Random seed for reproducible data.")] = 2026,
) -> None:
    """Add synthetic demo data (young people, employers, opportunities, referral history)."""
    os.environ.update(_stack_env())
    _seed_unless_populated(force=force, random_seed=random_seed)


@app.command()
def token(
    role: Annotated[str, typer.Option(help="adviser | employer | young_person | service")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="The token's sub (a profile or employer id, or a service name).")
    ] = None,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="A service the token is for (repeat; default: all four).")
    ] = None,
) -> None:
    """Print a development JWT from the development issuer (and nothing else), e.g.
    TOKEN=$(youth-guarantee token --role adviser). It lives at most YG_TOKEN_MAX_USER_MINUTES (a service token
    YG_TOKEN_MAX_SERVICE_MINUTES) and carries the scopes granted to the service it names."""
    from services.common.settings import CommonSettings, InsecureConfiguration
    from services.common.tokens import USER_AUDIENCE, Role

    try:
        parsed = Role(role)
    except ValueError as exc:
        typer.echo(f"--role must be one of: {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from exc
    settings = CommonSettings()
    if not settings.development_mode:
        typer.echo("token only signs development tokens (YG_ENV=development)", err=True)
        raise typer.Exit(2)
    default_subject = {Role.ADVISER: "adviser-1", Role.SERVICE: "cli"}.get(parsed) or str(uuid.uuid4())
    development_keys()
    try:
        issuer = settings.development_issuer()
    except InsecureConfiguration as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    signed = issuer.issue(role=parsed, sub=subject or default_subject, audience=audience or USER_AUDIENCE)
    sys.stdout.write(signed + "\n")


@app.command()
def keys(
    rotate: Annotated[
        list[str] | None, typer.Option("--rotate", help="Make a new key for this owner (issuer or a service name).")
    ] = None,
) -> None:
    """Make the development signing keys (when missing) and their JWKS under the data folder; --rotate replaces a
    key, keeping the old public key in the JWKS until its next rotation. Outside development, each service is
    given only its own key file and every service the JWKS of the services' public keys."""
    from services.common.tokens import ISSUER_KEY, SERVICE_NAMES

    owners = (ISSUER_KEY, *SERVICE_NAMES)
    unknown = sorted(set(rotate or ()) - set(owners))
    if unknown:
        typer.echo(f"--rotate must name one of: {', '.join(owners)} (not {', '.join(unknown)})", err=True)
        raise typer.Exit(2)
    typer.echo(f"JWKS: {development_keys(tuple(rotate or ()))}")


@app.command(help="Benchmark the matcher (index, filters, embeddings, events); prints a table.")
def bench(
    quick: bool = typer.Option(False, "--quick", help="10k items, fewer queries, no event timing (under 2 minutes)."),
    json_path: Path | None = typer.Option(None, "--json", help="Also write the figures as one JSON object here."),
    scale: int = typer.Option(100_000, "--scale", min=1000, help="Items in the index (e.g. 1000000)."),
    queries: int = typer.Option(1000, "--queries", min=10, help="Query vectors (from real ESCO titles)."),
    events: bool = typer.Option(True, "--events/--no-events", help="Time event-to-searchable through the broker."),
    index_only: bool = typer.Option(
        False, "--index-only", help="Only the indexes (a short embedding check, no event timing): for --scale runs."
    ),
    screening: bool = typer.Option(
        False, "--screening", help="Instead: the special category screening of free text against a keyword list."
    ),
    screening_embeddings: bool = typer.Option(
        False, "--screening-embeddings", help="With --screening: also the rules plus a MiniLM nearest-neighbour vote."
    ),
    search: bool = typer.Option(
        False, "--search", help="Instead: browse's search (old substring vs new ranked and fused) on judged queries."
    ),
    search_database: str | None = typer.Option(
        None, "--search-database", help="With --search: an empty database URL to use (default: a SQLite file)."
    ),
    search_tuning: bool = typer.Option(
        False, "--search-tuning", help="With --search: print the tuning queries' semantic hits and stop."
    ),
    quality: bool = typer.Option(
        False, "--quality", help="Instead: matching quality (hit@5, MAP@10, nDCG@10) against BM25 and plain similarity."
    ),
    load: bool = typer.Option(
        False, "--load", help="Instead: the local stack on PostgreSQL under mixed HTTP traffic while ingest goes on."
    ),
    opportunities: int = typer.Option(100_000, "--opportunities", min=10, help="With --load: live opportunities."),
    people: int = typer.Option(10_000, "--people", min=10, help="With --load: young people."),
    seconds: float = typer.Option(60.0, "--seconds", min=5, help="With --load: how long the traffic runs."),
    rate: float = typer.Option(50.0, "--rate", min=1, help="With --load: requests a second."),
    profile: float = typer.Option(0.0, "--profile", min=0, help="With --load: py-spy each service (seconds)."),
    profile_matches: bool = typer.Option(
        False, "--profile-matches", help="Instead: the match request alone on a synthetic index of --opportunities "
        "and --people, sequential over HTTP, py-spy's samples by function."
    ),
) -> None:
    """Benchmark the matcher: index latency and recall vs exact FAISS and hnswlib, filtered recall, embedding
    throughput (plain vs ONNX int8) and event-to-searchable latency through the real broker. With --screening,
    the free-text screening's precision and recall on its labelled corpus instead; with --search, browse's search
    on judged everyday queries; with --quality, the matcher's ranking on people described four ways, and the
    spread of referrals; with --load, the whole stack under traffic (benchmarks/load.py)."""
    if search:
        _bench_search(search_database, search_tuning, json_path)
        return
    if quality:
        _bench_quality(json_path)
        return
    if load:
        from benchmarks import load as load_bench
        from benchmarks.report import write_json as write_load_figures

        load_options = load_bench.LoadOptions(opportunities=opportunities, people=people, seconds=seconds, rate=rate,
                                              profile_seconds=profile,
                                              cache_dir=Path(_stack_env()["YG_DATA_DIR"]) / "load-cache")
        load_results = load_bench.run(options=load_options, say=typer.echo)
        typer.echo("")
        typer.echo(load_bench.table(load_results))
        if json_path is not None:
            write_load_figures(load_bench.json_figures(load_results), json_path)
            typer.echo(f"\nwrote {json_path}")
        return
    if profile_matches:
        from benchmarks import profile_matches as profile_bench

        os.environ.update(_stack_env())
        development_keys()
        work_dir = Path(os.environ["YG_DATA_DIR"]) / f"profile-matches-{opportunities}-{people}"
        profile_bench.run(opportunities=opportunities, people=people, requests=1000, work_dir=work_dir, say=typer.echo)
        return
    if screening:
        from benchmarks import screening as screening_bench

        corpus = screening_bench.load_corpus()
        extra: dict[str, screening_bench.Detector] = {}
        milliseconds = None
        if screening_embeddings:
            from services.matching.embedder import load_plain

            detector, milliseconds = screening_bench.embedding_second_opinion(corpus, load_plain().embed)
            extra[screening_bench.EMBEDDINGS] = detector
        figures = screening_bench.evaluate(corpus, extra)
        if milliseconds is not None:
            figures["embedding_ms_per_text"] = milliseconds
        typer.echo(screening_bench.table(figures))
        if json_path is not None:
            from benchmarks.report import write_json as write_figures

            write_figures(figures, json_path)
            typer.echo(f"\nwrote {json_path}")
        return
    try:
        from benchmarks.matcher import BenchOptions, run
        from benchmarks.report import table, write_json
    except ModuleNotFoundError as exc:
        typer.echo(f"bench needs the bench extra (pip install -e '.[bench]'): {exc}", err=True)
        raise typer.Exit(1) from exc
    from infra.broker import LocalBroker, free_port
    from services.matching.config import MatchingSettings

    settings = MatchingSettings()
    options = BenchOptions(quick=quick, scale=scale, queries=queries, events=events and not index_only,
                           embeddings=not index_only)
    broker: LocalBroker | None = None
    bootstrap: str | None = None
    if options.events and not options.quick:
        if "kafka_bootstrap_servers" in settings.model_fields_set:
            bootstrap = settings.kafka_bootstrap_servers
        else:
            broker = LocalBroker(port=free_port())
            broker.start()
            bootstrap = broker.bootstrap_servers
            typer.echo(f"started a Tansu broker at {bootstrap} for the event timing")
    try:
        results = run(options=options, settings=settings, bootstrap_servers=bootstrap, say=typer.echo)
    finally:
        if broker is not None:
            broker.stop()
    typer.echo("")
    typer.echo(table(results))
    if json_path is not None:
        write_json(results, json_path)
        typer.echo(f"\nwrote {json_path}")


def _bench_search(database_url: str | None, tuning: bool, json_path: Path | None) -> None:
    import tempfile

    from benchmarks import search as search_bench
    from services.matching.config import MatchingSettings
    from services.matching.embedder import build_embedder

    embedder = build_embedder(MatchingSettings())
    with tempfile.TemporaryDirectory(prefix="yg-search-bench-") as tmp:
        if tuning:
            search_bench.tuning_view(embedder=embedder, seed=2026, tmp=Path(tmp), say=typer.echo)
            return
        figures = search_bench.run(embedder=embedder, database_url=database_url, seed=2026, say=typer.echo,
                                   tmp=Path(tmp))
    typer.echo("")
    typer.echo(search_bench.table(figures))
    if json_path is not None:
        from benchmarks.report import write_json as write_figures

        write_figures(figures, json_path)
        typer.echo(f"\nwrote {json_path}")


def _bench_quality(json_path: Path | None) -> None:
    import tempfile

    from benchmarks import quality as quality_bench
    from benchmarks.report import write_json as write_figures
    from services.matching.config import MatchingSettings
    from services.matching.embedder import build_embedder

    os.environ.update(_stack_env())
    settings = MatchingSettings()
    embedder = build_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="yg-quality-bench-") as tmp:
        figures = quality_bench.run(embedder=embedder, seed=2026, say=typer.echo, tmp=Path(tmp),
                                    cache_dir=settings.resolved_model_cache_dir())
    typer.echo("")
    typer.echo(quality_bench.table(figures))
    if json_path is not None:
        write_figures(quality_bench.json_figures(figures, measured_on=dt.date.today()), json_path)
        typer.echo(f"\nwrote {json_path}")


@app.command(help="Rebuild the matching index from the topics.")
def reindex(
    timeout: float = typer.Option(1800.0, "--timeout", help="Give up when not caught up after this many seconds."),
) -> None:
    """Rebuild the matching index from the beginning of the topics and save it (run it while the matching
    service is stopped; the service does the same by itself when its saved index is missing or unusable). The
    profiles service must be up: it holds the keys that open the profile events (erased people's are gone)."""
    from services.matching.config import MatchingSettings
    from services.matching.runtime import build_embedder, rebuild_from_topics
    from services.messaging.sealing import KeysUnavailable, http_key_ring

    settings = MatchingSettings()
    typer.echo(f"rebuilding {settings.resolved_index_dir()} from the topics at {settings.kafka_bootstrap_servers}")
    keys = http_key_ring(settings, "matching")
    try:
        summary = rebuild_from_topics(settings, build_embedder(settings), keys=keys, timeout=timeout)
    except KeysUnavailable as exc:
        typer.echo(f"reindex needs the profiles service at {settings.profiles_url} for the keys: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        keys.close()
    for key, value in summary.items():
        typer.echo(f"  {key}: {value}")


if __name__ == "__main__":
    app()
