"""A grid pre-filter for point-in-neighbourhood assignment (pure: arrays in, arrays out).

Most incidents lie well inside one neighbourhood. The grid decides those points without a
point-in-polygon test: it cuts the bounding box of the neighbourhoods into square cells and
finds, exactly, the cells that lie wholly in the *interior* of exactly one neighbourhood
("interior cells") or in none ("empty cells"). A point whose cell is decided gets that cell's
answer by an integer lookup; every other point (cells crossed by a border, or covered by two
overlapping neighbourhoods) goes through the real spatial join.

How a cell is decided, exactly:

1. Every border (each ring of each polygon, holes included) is cut into pieces no longer
   than half a cell; every cell that the box of a piece, widened by a small margin, touches
   is a *border cell*. Marking more cells than needed only sends more points to the join.
2. The other cells come in connected groups (4-neighbours) that no border comes near, so
   every point of a group lies in the interior of the same neighbourhoods. One exact GEOS
   test of one cell centre per group says which: one neighbourhood → interior cells of it;
   none → empty cells; two or more (overlapping polygons) → left to the join.

The margin (``size * 1e-3``) is many orders of magnitude larger than the rounding of
``floor((x - x0) / size)`` in SQL, so a point that rounding puts into a neighbouring cell is
still within the margin of that cell, which no border comes near. Points on a border never
land in a decided cell, so the "smallest nid on a shared border" rule stays with the join.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

EMPTY = -1
"""Code of a cell that lies in no neighbourhood."""

CELLS_PER_POLYGON = 256
"""Target cells per neighbourhood: with ~100-vertex neighbourhoods this sends ~15-20 % of
points to the spatial join and classifies 1.3 M cells for 5,000 neighbourhoods in ~0.3 s."""

MAX_CELLS = 1 << 24
"""At most this many cells (a 16 M-cell grid needs ~100 MB of scratch arrays)."""

_MIN_SIZE = 1e-7  # degrees (~1 cm): below this the margin would near the rounding error


@dataclass(frozen=True)
class CellGrid:
    """Square cells over the neighbourhoods' bounding box; the decided cells and their codes.

    Cell ``(i, j)`` covers ``x0 + i*size <= x < x0 + (i+1)*size`` (and likewise in y) and has
    id ``j * nx + i``. ``cells`` lists the decided cell ids; ``codes`` the matching index into
    the polygon array given to :func:`cell_grid`, or :data:`EMPTY`.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    cells: np.ndarray
    codes: np.ndarray

    def sql_cell(self, x: str, y: str) -> str:
        """SQL for the cell id of point ``(x, y)`` (SQL expressions); -1 outside the grid.

        Points outside the grid lie in no neighbourhood: the grid covers every polygon."""
        x0, y0, size = repr(self.x0), repr(self.y0), repr(self.size)
        x1, y1 = repr(self.x0 + self.nx * self.size), repr(self.y0 + self.ny * self.size)
        return (
            f"CASE WHEN {x} >= {x0} AND {x} < {x1} AND {y} >= {y0} AND {y} < {y1} "
            f"THEN least(CAST(floor(({y} - {y0}) / {size}) AS BIGINT), {self.ny - 1}) * {self.nx}"
            f" + least(CAST(floor(({x} - {x0}) / {size}) AS BIGINT), {self.nx - 1}) "
            "ELSE -1 END"
        )

    def cell_ids(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell id of each point, as :meth:`sql_cell` computes it (-1 outside the grid)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        x1, y1 = self.x0 + self.nx * self.size, self.y0 + self.ny * self.size
        inside = (x >= self.x0) & (x < x1) & (y >= self.y0) & (y < y1)
        with np.errstate(invalid="ignore"):
            i = np.minimum(np.floor((x - self.x0) / self.size), self.nx - 1)
            j = np.minimum(np.floor((y - self.y0) / self.size), self.ny - 1)
        return np.where(
            inside,
            np.where(inside, j, 0).astype(np.int64) * self.nx
            + np.where(inside, i, 0).astype(np.int64),
            -1,
        )


def cell_grid(polygons: np.ndarray, target_cells: int | None = None) -> CellGrid:
    """Decide the cells of a grid over ``polygons`` (shapely, EPSG:4326 degrees).

    Parameters
    ----------
    polygons
        The neighbourhoods; their index in this array is the code of their interior cells.
    target_cells
        About how many cells (default ``CELLS_PER_POLYGON`` per polygon, at most
        ``MAX_CELLS``).

    Returns
    -------
    CellGrid
        The grid with its decided cells; no cells when there are no polygons.
    """
    polygons = np.asarray(polygons, dtype=object)
    present = polygons[~shapely.is_empty(polygons)] if len(polygons) else polygons
    if len(present) == 0:
        return CellGrid(0.0, 0.0, 1.0, 1, 1, np.empty(0, np.int64), np.empty(0, np.int32))
    target = min(target_cells or CELLS_PER_POLYGON * len(polygons), MAX_CELLS)
    x0, y0, size, nx, ny = _layout(shapely.total_bounds(present), target)
    margin = size * 1e-3
    border = _border_cells(polygons, x0, y0, size, nx, ny, margin)
    # imported here, not at the top: its 0.25 s are then paid in the thread that classifies
    # the grid while DuckDB reads the file, not before the ingest starts
    from scipy import ndimage

    labels, count = ndimage.label(~border.reshape(ny, nx))
    flat = labels.ravel()
    group_code = _group_codes(polygons, flat, count, x0, y0, size, nx)
    cell_code = group_code[flat]
    cell_code[flat == 0] = -2  # border cells
    cells = np.flatnonzero(cell_code != -2)
    return CellGrid(x0, y0, size, nx, ny, cells, cell_code[cells].astype(np.int32))


def _layout(bounds: np.ndarray, target: int) -> tuple[float, float, float, int, int]:
    """Origin, cell size and cell counts for about ``target`` cells over ``bounds``."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    width, height = maxx - minx, maxy - miny
    size = max(float(np.sqrt(width * height / target)), max(width, height) / 8192, _MIN_SIZE)
    pad = 2 * size * 1e-3
    x0, y0 = minx - pad, miny - pad
    nx = int(np.floor((maxx + pad - x0) / size)) + 1
    ny = int(np.floor((maxy + pad - y0) / size)) + 1
    return x0, y0, size, nx, ny


def _border_cells(
    polygons: np.ndarray, x0: float, y0: float, size: float, nx: int, ny: int, margin: float
) -> np.ndarray:
    """A flat boolean mask of the cells that a border comes within ``margin`` of."""
    rings = shapely.get_rings(shapely.get_parts(polygons))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    start, end = _pieces(start, end, size / 2)
    low = np.minimum(start, end) - margin
    high = np.maximum(start, end) + margin
    i0 = np.clip(np.floor((low[:, 0] - x0) / size).astype(np.int64), 0, nx - 1)
    i1 = np.clip(np.floor((high[:, 0] - x0) / size).astype(np.int64), 0, nx - 1)
    j0 = np.clip(np.floor((low[:, 1] - y0) / size).astype(np.int64), 0, ny - 1)
    j1 = np.clip(np.floor((high[:, 1] - y0) / size).astype(np.int64), 0, ny - 1)
    border = np.zeros(nx * ny, dtype=bool)
    for i in (i0, i1):  # a piece's widened box spans at most 2 x 2 cells
        for j in (j0, j1):
            border[j * nx + i] = True
    return border


def _pieces(start: np.ndarray, end: np.ndarray, longest: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut segments ``start → end`` into pieces no longer than ``longest``."""
    count = np.maximum(np.ceil(np.hypot(*(end - start).T) / longest), 1).astype(np.int64)
    if count.max() == 1:
        return start, end
    segment = np.repeat(np.arange(len(start)), count)
    step = np.arange(len(segment)) - np.repeat(np.cumsum(count) - count, count)
    total = count[segment]
    delta = (end - start)[segment]
    first = start[segment] + delta * (step / total)[:, None]
    last = start[segment] + delta * ((step + 1) / total)[:, None]
    final = step + 1 == total
    last[final] = end[segment[final]]
    return first, last


def _group_codes(
    polygons: np.ndarray, flat: np.ndarray, count: int, x0: float, y0: float, size: float, nx: int
) -> np.ndarray:
    """Code of each group of non-border cells (index 0, the border cells, is unused)."""
    member = np.zeros(count + 1, dtype=np.int64)
    member[flat] = np.arange(flat.size)  # any cell of each group
    j, i = np.divmod(member[1:], nx)
    centres = shapely.points(x0 + (i + 0.5) * size, y0 + (j + 0.5) * size)
    group, polygon = shapely.STRtree(polygons).query(centres, predicate="intersects")
    hits = np.bincount(group, minlength=count)
    codes = np.full(count + 1, -2, dtype=np.int64)  # -2: two or more (overlap): the join decides
    codes[1:][hits == 0] = EMPTY
    one = hits == 1
    first = np.full(count, -1, dtype=np.int64)
    first[group] = polygon
    codes[1:][one] = first[one]
    return codes


ASSIGN_CHUNK = 1 << 21
"""Points per batch in :func:`assign_points` (bounds the shapely points held at once)."""


def assign_points(polygons: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the first polygon each point ``(x, y)`` intersects; :data:`EMPTY` for none.

    Exact GEOS predicates on prepared polygons, as ``geopandas.sjoin`` probes them: the points
    of a batch go into an R-tree and each polygon asks it for the points it intersects
    (boundary included). A point on a border shared by several polygons, or in an overlap,
    gets the smallest index: with polygons in code order, the smallest code wins.

    Parameters
    ----------
    polygons
        The neighbourhoods (shapely); prepared in place.
    x, y
        Point coordinates in the polygons' CRS (finite).

    Returns
    -------
    numpy.ndarray
        One ``int64`` per point: a polygon index, or :data:`EMPTY`.
    """
    polygons = np.asarray(polygons, dtype=object)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    none = np.iinfo(np.int64).max
    found = np.full(len(x), none, dtype=np.int64)
    if len(polygons) == 0 or len(x) == 0:
        return np.full(len(x), EMPTY, dtype=np.int64)
    shapely.prepare(polygons)
    for start in range(0, len(x), ASSIGN_CHUNK):
        stop = min(start + ASSIGN_CHUNK, len(x))
        tree = shapely.STRtree(shapely.points(x[start:stop], y[start:stop]))
        polygon, point = tree.query(polygons, predicate="intersects")
        np.minimum.at(found, point + start, polygon)
    found[found == none] = EMPTY
    return found
