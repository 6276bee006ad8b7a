"""File input and output: meshes, CityJSON, scenario TOML, results (layer L6)."""

from __future__ import annotations

from ..scenario.compare import register_report_writer

__all__ = ["write_report"]


def write_report(comparison, out_dir, **options):
    """Write the report of a comparison into ``out_dir``: :func:`cpted_sim.io.report.write_report`.

    Imported on first use, so that ``import cpted_sim`` does not load matplotlib.
    :meth:`cpted_sim.scenario.Comparison.to_report` calls this (registered below: the I/O layer
    calls down into the scenario layer, never the other way, docs/architecture.md).
    """
    from .report import write_report as writer
    return writer(comparison, out_dir, **options)


register_report_writer(write_report)
