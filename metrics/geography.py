"""
Boundaries as maps draw them: projected to kilometres and written as SVG path data.

Maps of China are drawn in the Albers equal-area conic projection with
standard parallels 25°N and 47°N about 105°E, as the national surveying
standard and most atlases draw them: areas keep their proportions, so a
larger county is not made to look more important than it is, and the
north–south stretch of a plain longitude/latitude grid is avoided.
"""

import math
from collections.abc import Iterable, Sequence

EARTH_RADIUS_KM = 6371.0
CENTRAL_MERIDIAN = 105.0
STANDARD_PARALLELS = (25.0, 47.0)

_phi1, _phi2 = (math.radians(parallel) for parallel in STANDARD_PARALLELS)
_N = (math.sin(_phi1) + math.sin(_phi2)) / 2
_C = math.cos(_phi1) ** 2 + 2 * _N * math.sin(_phi1)
_RHO0 = EARTH_RADIUS_KM * math.sqrt(_C) / _N  # the origin on the equator


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """Kilometres east and south of the projection's origin (y grows southwards, as in SVG)."""
    rho = EARTH_RADIUS_KM * math.sqrt(_C - 2 * _N * math.sin(math.radians(latitude))) / _N
    theta = _N * math.radians(longitude - CENTRAL_MERIDIAN)
    return rho * math.sin(theta), -(_RHO0 - rho * math.cos(theta))


def path_data(polygons: Iterable[Sequence[Sequence[tuple[float, float]]]]) -> str:
    """
    SVG path data for polygons given as rings of projected points (the
    first ring the outline, the others its holes, drawn with even-odd
    filling), at 0.1 km: a tenth of a pixel on the largest map drawn.
    Relative moves between rounded points keep the markup short without
    adding up rounding errors.
    """
    parts = []
    for rings in polygons:
        for ring in rings:
            points = [(round(x * 10), round(y * 10)) for x, y in ring]
            if points[0] == points[-1]:
                points.pop()
            if len(points) < 3:
                continue
            (x0, y0), moves = points[0], []
            previous = points[0]
            for point in points[1:]:
                moves.append(
                    _tenths(point[0] - previous[0]) + " " + _tenths(point[1] - previous[1])
                )
                previous = point
            parts.append(f"M{_tenths(x0)} {_tenths(y0)}l" + " ".join(moves) + "z")
    return "".join(parts)


def _tenths(value: int) -> str:
    whole, tenth = divmod(abs(value), 10)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{tenth}" if tenth else f"{sign}{whole}"
