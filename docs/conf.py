"""Sphinx configuration of the cpted_sim documentation.

Build with ``make docs`` (or ``python -m sphinx -b html docs docs/_build/html``). The gallery
runs ``examples/plot_*.py`` at small size (``CPTED_SIM_EXAMPLE_SMALL=1``, the setting the test
suite uses); set ``CPTED_SIM_EXAMPLE_SMALL=0`` for the full-size figures, or pass
``-D plot_gallery=0`` to skip running the examples.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# the sources of this checkout first (not an installed copy), then this folder for the scraper
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))
os.environ.setdefault("CPTED_SIM_EXAMPLE_SMALL", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import cpted_sim  # noqa: E402

project = "cpted_sim"
author = "the cpted_sim authors"
copyright = "2026, the cpted_sim authors"  # noqa: A001
release = cpted_sim.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "sg_execution_times.rst", "auto_examples/sg_execution_times.rst"]
templates_path: list[str] = []

# Markdown: ``$...$`` maths, heading anchors for links such as ``nomenclature.md#sightlines``
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: numpydoc renders the docstrings; members are listed by autodoc in api.md
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run every plot_*.py (small size, see above)
    "ignore_pattern": r"__init__\.py",
    # the examples save their maps as PNG files and release the figures: collect those files
    "image_scrapers": ("_gallery.png_file_scraper", "matplotlib"),
    "reset_modules": ("_gallery.reset_example", "matplotlib"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "write_computation_times": False,  # no sg_execution_times.rst in the source tree
}

html_theme = "pydata_sphinx_theme"
html_title = f"cpted_sim {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 3,
}
html_static_path: list[str] = []
