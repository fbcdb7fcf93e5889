"""
Which language a page is served in.

An address with a language prefix is a permalink in that language:
/zh-hans/… is always Chinese and /en/… always English, whatever the
visitor's cookie or browser says, so a link shared to someone else opens
in the language it was shared in. An address without one (the public
site's and the admin's usual addresses, /programs/, /admin/) is served in
the language the visitor chose with the language switch (the language
cookie, set by Django's set_language view), else in the one their browser
asks for (Accept-Language; any Chinese reads Simplified Chinese, the only
Chinese there is), else in English.

Links on a page keep its language: reversing an address gives the active
language's prefix (none for English), as Django's i18n_patterns does. So a
Chinese browser that lands on / follows /zh-hans/… links; an English
permalink leads on to unprefixed English addresses, which stay English for
anyone who chose English with the switch.

The open-data API, the health check and the language switch itself are
outside the localised addresses and stay in English, as before.
"""

from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLResolver,
    get_resolver,
    get_script_prefix,
    resolve,
    reverse,
)
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LanguagePrefix(LocalePrefixPattern):
    """
    The optional language prefix of the localised addresses. Unlike
    Django's, it matches whichever language is active: an unprefixed
    address resolves while it is being served in Chinese (Django's would
    look for /zh-hans/), and /en/… resolves as the English permalink.
    Reversing is Django's: the active language's prefix, none for English.
    """

    def match(self, path):
        for code, _name in settings.LANGUAGES:
            if path.startswith(f"{code}/"):
                return path.removeprefix(f"{code}/"), (), {}
        return path, (), {}


def localized_patterns(*urls) -> list[URLResolver]:
    """The addresses served in the visitor's language (i18n_patterns, see LanguagePrefix)."""
    return [URLResolver(LanguagePrefix(prefix_default_language=False), list(urls))]


def is_localized(path_info: str, urlconf=None) -> bool:
    """Whether the address is one of the localised ones (a page, not the API)."""
    for pattern in get_resolver(urlconf).url_patterns:
        if isinstance(pattern, URLResolver) and isinstance(pattern.pattern, LocalePrefixPattern):
            try:
                pattern.resolve(path_info.removeprefix("/"))
            except Resolver404:
                continue
            return True
    return False


def language_permalink(url: str, language_code: str) -> str:
    """
    The address of this page (a path with its query) that shows it in that
    language to everyone, /zh-hans/… or /en/…, with its filters, sort and
    page; the address unchanged if it is no localised page.
    """
    parts = urlsplit(url)
    if not is_localized(unquote(parts.path)):
        return url
    match = resolve(unquote(parts.path))
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    with translation.override(language_code):
        try:
            path = reverse(name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return url
    if language_code == settings.LANGUAGE_CODE:
        # English is unprefixed when reversed: its permalink names it.
        prefix = get_script_prefix()
        path = f"{prefix}{language_code}/{path.removeprefix(prefix)}"
    return urlunsplit(("", "", path, parts.query, parts.fragment))


class VisitorLanguageMiddleware(LocaleMiddleware):
    """
    Django's LocaleMiddleware, except that an unprefixed localised address
    is served in the visitor's language (see the module) instead of always
    in English. Such an answer varies with the language cookie and
    Accept-Language, and says so, so that no shared cache hands one
    visitor's language to another.
    """

    def process_request(self, request):
        language = translation.get_language_from_path(request.path_info)
        request.language_negotiated = False
        if language is None:
            urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
            if is_localized(request.path_info, urlconf):
                request.language_negotiated = True
                language = translation.get_language_from_request(request)
            else:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if getattr(request, "language_negotiated", False):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
