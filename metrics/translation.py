"""
Bilingual content fields.

Content is entered twice, in English (`title_en`) and Simplified Chinese
(`title_zh`); explicit columns keep fixtures, exports and the admin plain,
where a translation library would add hidden fields to every model.
"""

from django.db.models import F
from django.db.models.functions import Collate
from django.utils.translation import get_language

from metrics.pinyin import PINYIN


def name_order(name: str, language: str | None = None, *, descending: bool = False):
    """
    The order of a translated name (`name` is the column or lookup without
    `_en`/`_zh`, such as "title" or "metric__name") for the reader's language:
    Chinese by pinyin (the `pinyin` collation, metrics.pinyin), English as stored.
    """
    if is_chinese(language):
        expression = Collate(F(f"{name}_zh"), PINYIN)
    else:
        expression = F(f"{name}_en")
    return expression.desc() if descending else expression.asc()


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

    def order(self, language: str | None = None, *, descending: bool = False):
        """The order by this name for the reader's language (pinyin in Chinese)."""
        return name_order(self.name, language, descending=descending)
