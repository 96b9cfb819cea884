"""The YAML exchange format: safe reading with line numbers, validation, loading and dumping."""

from realist.yamlio.reader import YamlError

__all__ = ["YamlError"]
