"""``publisher serve``: the subscriber web app under uvicorn."""

from __future__ import annotations

import argparse

from publisher.commands import Context

__all__ = ["register"]


def cmd_serve(ctx: Context) -> int:
    """Run the web app until interrupted; --host/--port override ``[web]``."""
    # Imported here: FastAPI and uvicorn are slow to import and only this
    # command needs them.
    import uvicorn

    from publisher.web import create_app

    web = ctx.settings.web
    host = ctx.args.host or web.host
    port = ctx.args.port or web.port
    print(f"serving {ctx.settings.publication.name} on http://{host}:{port}/subscribe "
          f"(links in mail point at {ctx.settings.publication.base_url})", file=ctx.err)
    # No access log: the paths hold confirmation and unsubscribe tokens,
    # which are credentials; a log is no place for them.
    worker = ctx.app.make_worker() if ctx.args.worker else None
    if worker is not None:
        # The embedded default: one process serves the pages and sends the Issues.
        worker.start()
        print("worker running in this process", file=ctx.err)
    try:
        uvicorn.run(create_app(ctx.app), host=host, port=port, log_level="info",
                    access_log=False)
    finally:
        if worker is not None:
            worker.stop()
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 65535")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve`` to the CLI."""
    p = sub.add_parser("serve", help="run the subscriber web app (signup, confirm, "
                       "unsubscribe, preferences, webhooks)")
    p.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    p.add_argument("--port", type=_port, help="port to listen on (default: web.port, 8000)")
    p.add_argument("--worker", action="store_true",
                   help="also run the scheduler and the sends in this process")
    p.set_defaults(handler=cmd_serve)
