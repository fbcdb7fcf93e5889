"""
The staff site's own 404 and 403: a staff member who follows an admin link
to a record outside their regions, types an admin address wrong or tries a
step their role does not allow stays in the staff site, is told what most
likely happened and whom to ask. Visitors keep the public pages.
"""

from django.test import Client

from metrics.models import Observation
from programs.models import Program
from tests.test_admin import url

PUBLIC_404 = "There is no published page at this address."
OUT_OF_SCOPE = "This record does not exist or is outside the regions you are assigned to."


def staff_404(response) -> str:
    assert response.status_code == 404
    page = response.content.decode()
    assert OUT_OF_SCOPE in page
    assert PUBLIC_404 not in page
    return page


class TestNotFoundInTheStaffSite:
    def test_another_regions_record(self, linfen_client, taiyuan_program):
        response = linfen_client.get(url(Program, "change", taiyuan_program.pk))
        page = staff_404(response)
        # In the staff site's frame, with the way back and the user's own regions.
        assert 'id="site-name"' in page
        assert '<div class="breadcrumbs"><a href="/admin/">Home</a>' in page
        assert "Linfen (141000)" in page
        assert "a superuser of this site" in page
        assert "Taiyuan" not in page
        # It names the account: never kept by a shared cache.
        assert "private" in response["Cache-Control"]

    def test_another_regions_figure_history(self, linfen_client, taiyuan_draft):
        staff_404(linfen_client.get(url(Observation, "history", taiyuan_draft.pk)))

    def test_a_made_up_admin_address(self, linfen_client):
        page = staff_404(linfen_client.get("/admin/programs/programme/"))
        assert 'id="site-name"' in page

    def test_a_record_that_does_not_exist(self, reviewer_client):
        staff_404(reviewer_client.get(url(Program, "change", 999999)))

    def test_in_chinese(self, linfen_client, taiyuan_program):
        response = linfen_client.get("/zh-hans" + url(Program, "change", taiyuan_program.pk))
        assert response.status_code == 404
        page = response.content.decode()
        assert '<html lang="zh-hans"' in page
        assert '<a href="/zh-hans/admin/">首页</a>' in page
        # Needs the merged catalogue.
        assert "此记录不存在，或不在分配给您的地区内。" in page


class TestNotAllowedInTheStaffSite:
    def test_a_viewer_adding_a_program(self, viewer_client):
        response = viewer_client.get(url(Program, "add"))
        assert response.status_code == 403
        page = response.content.decode()
        assert "Your account may not do this." in page
        assert 'id="site-name"' in page
        assert "Role: Viewer." in page
        assert "Shanxi (140000)" in page
        assert "您没有执行此操作的权限。" not in page


class TestVisitorsKeepThePublicPages:
    def test_a_missing_public_page(self, demo):
        response = Client().get("/programs/no-such-program/")
        assert response.status_code == 404
        assert PUBLIC_404 in response.content.decode()

    def test_an_admin_address_asks_a_visitor_to_sign_in(self, demo, taiyuan_program):
        response = Client().get(url(Program, "change", taiyuan_program.pk))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_a_missing_chinese_public_page(self, demo):
        response = Client().get("/zh-hans/programs/no-such-program/")
        assert response.status_code == 404
        assert "此地址没有已发布的页面。" in response.content.decode()
