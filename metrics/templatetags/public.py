"""Template helpers of the public pages."""

from django import template
from django.urls import translate_url

from config.locale import is_localized, language_permalink
from metrics.page_cache import remembered

register = template.Library()


@register.simple_tag(takes_context=True)
def language_alternates(context) -> list[tuple[str, str]]:
    """
    For search engines, (hreflang, absolute address) of this page: its
    permalink in each language, and as the default the unprefixed address,
    which follows the visitor's language. None on a page of no language.
    """
    request = context["request"]
    if not is_localized(request.path_info):
        return []
    here = request.get_full_path()
    return [
        ("en", request.build_absolute_uri(language_permalink(here, "en"))),
        ("zh-Hans", request.build_absolute_uri(language_permalink(here, "zh-hans"))),
        ("x-default", request.build_absolute_uri(translate_url(here, "en"))),
    ]


@register.tag("remember")
def do_remember(parser, token):
    """
    {% remember "name" vary ... %}…{% endremember %}: the enclosed part,
    rendered once per content version, language and `vary` values
    (metrics.page_cache.remembered), like Django's {% cache %} but never
    stale. The part must show published content only: no form token, no
    user, nothing from the request but what `vary` names. The values it
    reads may be lazy (SimpleLazyObject), so that a remembered part costs
    no query.
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes a name, then what it varies on.")
    nodelist = parser.parse(("endremember",))
    parser.delete_first_token()
    return RememberNode(nodelist, [parser.compile_filter(bit) for bit in bits[1:]])


class RememberNode(template.Node):
    def __init__(self, nodelist, parts):
        self.nodelist, self.parts = nodelist, parts

    def render(self, context):
        name, *vary = (part.resolve(context) for part in self.parts)
        return remembered(f"part:{name}", lambda: self.nodelist.render(context), *vary)


def _public_sources() -> dict:
    from metrics.models import Source

    return remembered(
        "public-sources-by-slug",
        lambda: {source.slug: source for source in Source.objects.published()},
    )


@register.inclusion_tag("includes/basis.html", takes_context=True)
def basis(context, record, name: str) -> dict:
    """
    A marker saying whether the record's statement `name` is quoted,
    derived or inferred, with a disclosure of the sentence, working or
    reasoning and its source; nothing when the record does not say.
    """
    statement = record.statement(name)
    source = None
    if statement and statement.source:
        # A page draws a dozen markers: the sources are fetched once per render.
        sources = context.render_context.get("public-sources-by-slug")
        if sources is None:
            sources = context.render_context["public-sources-by-slug"] = _public_sources()
        source = sources.get(statement.source)
    return {"statement": statement, "source": source}


@register.inclusion_tag("includes/basis.html")
def figure_basis(observation) -> dict:
    """The same marker for a figure: its sentence, or its working or reasoning."""
    from metrics.statements import Basis, Statement

    note = observation.source_quote if observation.is_quoted else observation.basis_note
    statement = Statement(
        name="value", label="", basis=observation.basis or Basis.QUOTED, note=note
    )
    return {"statement": statement, "source": observation.source, "quote": observation.source_quote}
