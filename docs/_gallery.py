"""sphinx-gallery helpers: collect the PNG maps an example writes into its working folder.

The examples save their figures with :func:`cpted_sim.plot.field_map` and friends, which release
the figure, so the stock matplotlib scraper sees nothing. ``png_file_scraper`` moves every PNG
written in the example's folder since the last code block into the gallery's image folder (the
source tree stays clean) and shows it under the block that wrote it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

_state = {"since": 0.0}


def reset_example(gallery_conf, fname, when="before"):
    """Start a new example: only PNG files written from now on belong to it."""
    _state["since"] = time.time() - 1.0


def png_file_scraper(block, block_vars, gallery_conf):
    """Move the PNG files the block wrote next to the example into the gallery images."""
    folder = Path(block_vars["src_file"]).parent
    new = sorted((p for p in folder.glob("*.png") if p.stat().st_mtime >= _state["since"]),
                 key=lambda p: p.stat().st_mtime)
    if not new:
        return ""
    images = []
    for png, target in zip(new, block_vars["image_path_iterator"]):
        shutil.move(str(png), str(target))
        images.append(target)
    # later blocks must not pick these up again (they are gone), nor older files
    _state["since"] = time.time() - 1.0
    return figure_rst(images, gallery_conf["src_dir"])
