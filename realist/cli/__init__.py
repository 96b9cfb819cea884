"""The `realist` command line."""

from __future__ import annotations

import click

from realist import __version__


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="realist")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Realist Workbench: realist reviews in the terminal."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main() -> None:
    """Console-script entry point."""
    cli()
