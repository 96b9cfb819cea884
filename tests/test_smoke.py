from click.testing import CliRunner

from realist import __version__
from realist.cli import cli


def test_version_flag_prints_package_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
