"""
Bilingual content fields.

Content is entered twice, in English (`title_en`) and Simplified Chinese
(`title_zh`); explicit columns keep fixtures, exports and the admin plain,
where a translation library would add hidden fields to every model.
"""

from django.utils.translation import get_language


def is_chinese(language: str | None = None) -> bool:
    """Whether the given (or active) language is a Chinese variant."""
    return (language or get_language() or "").lower().startswith("zh")


class Translated:
    """
    Read `<name>_zh` when Chinese is active and it is filled in, else `<name>_en`.

    Declared on a model as ``title = Translated()``; templates and tables then
    use ``program.title`` and get the reader's language.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if is_chinese():
            chinese = getattr(instance, f"{self.name}_zh")
            if chinese:
                return chinese
        return getattr(instance, f"{self.name}_en")

    def order_field(self, language: str | None = None) -> str:
        """The column to sort by for the reader's language."""
        return f"{self.name}_zh" if is_chinese(language) else f"{self.name}_en"
