"""CLI commands of the matching service, registered by infra/cli.py. Cheap to import: the heavy imports
(model, FAISS, broker) happen inside the functions."""

from __future__ import annotations

from pathlib import Path

import typer


def bench(
    quick: bool = typer.Option(False, "--quick", help="10k items, fewer queries, no event timing (under 2 minutes)."),
    json_path: Path | None = typer.Option(None, "--json", help="Also write the figures as one JSON object here."),
    scale: int = typer.Option(100_000, "--scale", min=1000, help="Items in the index (e.g. 1000000)."),
    queries: int = typer.Option(1000, "--queries", min=10, help="Query vectors (from real ESCO titles)."),
    events: bool = typer.Option(True, "--events/--no-events", help="Time event-to-searchable through the broker."),
) -> None:
    """Benchmark the matcher: index latency and recall vs exact FAISS and hnswlib, filtered recall, embedding
    throughput (plain vs ONNX int8) and event-to-searchable latency through the real broker."""
    from infra.broker import LocalBroker, free_port
    from services.matching.bench import BenchOptions, run, table, write_json
    from services.matching.config import MatchingSettings

    settings = MatchingSettings()
    options = BenchOptions(quick=quick, scale=scale, queries=queries, events=events)
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
        results = run(options, settings, bootstrap_servers=bootstrap, say=typer.echo)
    finally:
        if broker is not None:
            broker.stop()
    typer.echo("")
    typer.echo(table(results))
    if json_path is not None:
        write_json(results, json_path)
        typer.echo(f"\nwrote {json_path}")


def reindex(
    timeout: float = typer.Option(1800.0, "--timeout", help="Give up when not caught up after this many seconds."),
) -> None:
    """Rebuild the matching index from the beginning of the topics and save it (run it while the matching
    service is stopped; the service does the same by itself when its saved index is missing or unusable)."""
    from services.matching.config import MatchingSettings
    from services.matching.embedder import build_embedder
    from services.matching.runtime import rebuild_from_topics

    settings = MatchingSettings()
    typer.echo(f"rebuilding {settings.resolved_index_dir()} from the topics at {settings.kafka_bootstrap_servers}")
    summary = rebuild_from_topics(settings, build_embedder(settings), timeout=timeout)
    for key, value in summary.items():
        typer.echo(f"  {key}: {value}")
