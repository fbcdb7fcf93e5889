"""
A Chinese reader finds names in pinyin order (大同 da before 太原 tai), as
in a Chinese dictionary, not in the order of their code points; English
order does not change. The same tests run on SQLite (a Python collation,
metrics.pinyin) and on PostgreSQL (ICU's zh-u-co-pinyin).
"""

import re
from functools import cmp_to_key

import pytest

from metrics.models import Region
from metrics.pinyin import compare
from metrics.translation import name_order
from tests.factories import OrganisationFactory

# The demo's names, in pinyin order; both databases give these orders.
PROGRAMS = [
    "传统商贸企业数字化转型",  # chuan
    "电商产业园区",  # dian
    "临汾县级干部直播带货活动",  # lin
    "农产品、食品加工和文化旅游数字经济",  # nong chan
    "农村互联网、仓储和快递物流建设",  # nong cun
    "以政策和技术支持发展智能制造",  # yi
    "与互联网平台合作",  # yu
    "直播电商和社交电商",  # zhi bo dian shang he
    "直播电商基地",  # zhi bo dian shang ji
]
PARTNERS = ["阿里巴巴", "抖音", "京东", "快手"]  # a, dou, jing, kuai
SECTORS = ["仓储和快递物流", "农产品", "商贸流通", "食品加工", "文化旅游", "智能制造"]
METRICS = [
    "互联网和相关服务业营业收入",  # hu
    "农产品网络零售额",  # nong chan
    "农村网络零售额",  # nong cun
    "农村网络零售额占比",
    "实物商品网上零售额",  # shi
    "网络零售额",  # wang
    "网络零售额（美元，按报道折算）",
    "直播带货活动销售额",  # zhi
]


def table_rows(client, url, field):
    return [getattr(row.record, field) for row in client.get(url).context["table"].paginated_rows]


def select_options(client, url, name):
    html = client.get(url).content.decode()
    select = re.search(rf'<select name="{name}".*?</select>', html, flags=re.S).group()
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', select)


@pytest.mark.django_db
class TestChinesePages:
    def test_programs_sort_by_pinyin_of_their_titles(self, client, shanxi):
        assert table_rows(client, "/zh-hans/programs/", "title_zh") == PROGRAMS
        assert table_rows(client, "/zh-hans/programs/?sort=-title", "title_zh") == PROGRAMS[::-1]

    def test_programs_sort_by_pinyin_of_their_lead_organisation(self, client, shanxi):
        leads = table_rows(
            client, "/zh-hans/programs/?sort=lead_organisation", "lead_organisation_name_zh"
        )
        # Programs without one come first on SQLite and last on PostgreSQL.
        named = [lead for lead in leads if lead]
        # 电子商务… (dian) before 山西省商务厅 (shan); by code point 山 comes first.
        assert list(dict.fromkeys(named)) == ["电子商务和信息化促进处", "山西省商务厅"]

    def test_partner_and_sector_choices_are_in_pinyin_order(self, client, shanxi):
        assert select_options(client, "/zh-hans/programs/", "partner") == PARTNERS
        assert select_options(client, "/zh-hans/programs/", "sector") == SECTORS

    def test_metrics_sort_by_pinyin_of_their_names(self, client, shanxi):
        assert table_rows(client, "/zh-hans/metrics/", "name_zh") == METRICS

    def test_english_pages_keep_the_english_order(self, client, shanxi):
        titles = table_rows(client, "/programs/", "title_en")
        assert titles == sorted(titles)
        partners = select_options(client, "/programs/", "partner")
        assert partners == ["Alibaba", "Douyin", "JD.com", "Kuaishou"]


@pytest.mark.django_db
def test_cities_in_pinyin_order_read_changzhi_as_zhang(shanxi):
    # 长治 is read cháng zhì, but neither collation knows the place name:
    # ICU reads 长 alone as zhǎng and pypinyin's dictionary has no 长治, so
    # both databases put it last, under z.
    cities = Region.objects.filter(parent__code="140000").order_by(name_order("name", "zh-hans"))
    assert [city.name_zh for city in cities] == [
        "大同市",
        "晋城市",
        "晋中市",
        "临汾市",
        "吕梁市",
        "朔州市",
        "太原市",
        "忻州市",
        "阳泉市",
        "运城市",
        "长治市",
    ]


def test_the_sqlite_collation_orders_digits_han_then_latin_as_icu_does():
    names = ["Zeta", "abc", "银行", "大同", "2024年"]
    ordered = sorted(names, key=cmp_to_key(compare))
    assert ordered == ["2024年", "大同", "银行", "abc", "Zeta"]


def changelist_names(client, url):
    html = client.get(url).content.decode()
    return re.findall(r'<td class="field-name_zh">([^<]+)</td>', html)


# With an office whose English name comes first and its Chinese name last.
ORGANISATIONS = [
    "阿里巴巴",
    "电子商务和信息化促进处",
    "抖音",
    "京东",
    "快手",
    "山西省商务厅",
    "驻京联络处",
]


@pytest.mark.django_db
def test_the_chinese_admin_lists_organisations_in_pinyin_order(admin_client, shanxi):
    OrganisationFactory(name_en="Beijing liaison office", name_zh="驻京联络处")
    # The default order (by name), and the Chinese name's column asked for.
    assert changelist_names(admin_client, "/zh-hans/admin/programs/organisation/") == ORGANISATIONS
    by_column = changelist_names(admin_client, "/zh-hans/admin/programs/organisation/?o=-2")
    assert by_column == ORGANISATIONS[::-1]


@pytest.mark.django_db
def test_the_english_admin_lists_organisations_by_english_name(admin_client, shanxi):
    OrganisationFactory(name_en="Beijing liaison office", name_zh="驻京联络处")
    html = admin_client.get("/admin/programs/organisation/").content.decode()
    names = re.findall(r'<th class="field-name_en"><a [^>]*>([^<]+)</a></th>', html)
    assert names == sorted(names)
    assert names[1] == "Beijing liaison office"
