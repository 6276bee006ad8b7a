"""A whole town's night-safety map: tiles with halos, run on Dask, merged (layer L6).

Dask (optional extra ``city``: ``pip install 'cpted_sim[city]'``) is imported only when a run
starts; everything else works without it.
"""

from .job import CITY_QUANTITIES, CityJob, compute_tile, drape_tile
from .merge import merge_city, street_segments
from .run import (CITY_HINT, REFLECTION_MARGIN, dask_available, default_workers, prepare_job,
                  run_city)
from .store import box_scene, read_box, write_store
from .tiling import Tile, plan_tiles, tile_size_for_budget
from .tileset import index_tileset, read_tileset_box, write_cityjson_tiles
from .town import write_town

__all__ = ["run_city", "prepare_job", "compute_tile", "merge_city", "street_segments",
           "CityJob", "CITY_QUANTITIES", "CITY_HINT", "dask_available", "default_workers",
           "write_store", "read_box", "box_scene", "Tile", "plan_tiles",
           "tile_size_for_budget", "write_town", "drape_tile", "REFLECTION_MARGIN",
           "index_tileset", "read_tileset_box", "write_cityjson_tiles"]
