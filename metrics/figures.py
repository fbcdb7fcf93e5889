"""
Charts and maps at their own addresses: as SVG, as PNG, and as a page
another site may frame.

Every chart and map of the public pages can be saved and shared as it was
drawn, with its sources and the date in the image. The embeddable page is
the only one that other sites may frame: it answers with its own
`frame-ancestors *` (and no X-Frame-Options), while every other page keeps
`frame-ancestors 'none'`.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override

from metrics.page_cache import cache_public_page

FORMATS = ("svg", "png", "embed")
# Twice the drawn size: sharp on a high-density screen or a slide.
PNG_ZOOM = 2


def figure_query(filters) -> str:
    """
    The query of a figure's own address: a page's filters, as (name, values)
    pairs, without its table's sort or page, which do not change the figure.
    """
    query = urlencode([(name, value) for name, values in filters for value in values if value])
    return f"?{query}" if query else ""


def svg_response(document: str, filename: str) -> HttpResponse:
    response = HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + document,
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.svg"'
    return response


def png_response(document: str, filename: str) -> HttpResponse:
    import resvg_py

    image = resvg_py.svg_to_bytes(svg_string=document, zoom=PNG_ZOOM, background="#ffffff")
    response = HttpResponse(bytes(image), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{filename}.png"'
    return response


class FigureMixin:
    """
    A view answering with one chart or map in the format its address
    names: `get_figure()` draws it (None: nothing to draw), `get_document()`
    writes it as an SVG document, `get_page_url()` is the page it comes from.
    """

    figure_template = "figure_embed.html"

    def get(self, request, *args, format, **kwargs):
        figure = self.get_figure()
        document = self.get_document(figure) if figure is not None else ""
        if not document:
            raise Http404("Nothing to draw for this address.")
        filename = self.get_figure_filename()
        if format == "svg":
            return svg_response(document, filename)
        if format == "png":
            return png_response(document, filename)
        return render(
            request,
            self.figure_template,
            {
                "figure": figure,
                "document": document,
                "page_url": self.get_page_url(),
            },
        )


def figure_view(view):
    """
    A figure view as served: from the page cache like the pages, and
    frameable by other sites only as the embeddable page.
    """
    cached = cache_public_page(view)
    framed = xframe_options_exempt(
        csp_override({**settings.SECURE_CSP, "frame-ancestors": ["*"]})(cached)
    )

    def serve(request, *args, format, **kwargs):
        if format == "embed":
            return framed(request, *args, format=format, **kwargs)
        return cached(request, *args, format=format, **kwargs)

    return serve
