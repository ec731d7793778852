"""The unit navigation reaches every review page without typing a URL: this year's report (or the
year the page shows), the children's reports (only for a unit with units below it), the dashboard,
the report documents, the comment rounds and the notifications with the unread count."""
import re

import pytest
from django.utils import timezone

from reviews.models import Notification
from tests.conftest import PASSWORD


def nav_links(html: str) -> dict[str, str]:
    """{link text (badge stripped): href} of the unit navigation bar."""
    nav = re.search(r'<nav class="unit-nav[^"]*"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return {
        " ".join(re.sub(r"<[^>]+>", " ", text).split()): href
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav, re.S)
    }


def get(client, tree, username, url):
    assert client.login(username=username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_commune_home_links_every_review_page_of_this_year_but_no_childrens_reports(client, tree):
    year = timezone.localdate().year
    links = nav_links(get(client, tree, "himlam.cadre", "/u/03127/"))
    assert links["Báo cáo năm"] == f"/u/03127/reviews/{year}/"
    assert links["Tổng hợp"] == f"/u/03127/reviews/{year}/dashboard/"
    assert links["Báo cáo định kỳ"] == f"/u/03127/reviews/{year}/documents/"
    assert links["Lấy ý kiến góp ý"] == f"/u/03127/reviews/{year}/comments/"
    assert links["Thông báo"] == "/u/03127/reviews/notifications/"
    assert "Duyệt báo cáo cấp dưới" not in links  # Him Lam has no unit below it


def test_a_district_page_links_its_childrens_reports_of_the_year_it_shows(client, tree):
    links = nav_links(get(client, tree, "dbp.cadre", "/u/094/reviews/2024/dashboard/"))
    assert links["Duyệt báo cáo cấp dưới"] == "/u/094/reviews/2024/children/"
    assert links["Báo cáo năm"] == "/u/094/reviews/2024/"
    assert links["Báo cáo định kỳ"] == "/u/094/reviews/2024/documents/"


def test_the_notifications_link_counts_the_users_unread_notifications(client, tree):
    cadre = tree.user("himlam.cadre")
    Notification.objects.create(user=cadre, unit=tree["03127"], text="Sắp đến hạn gửi báo cáo năm")
    Notification.objects.create(user=cadre, unit=tree["03127"], text="Báo cáo năm quá hạn")
    Notification.objects.create(user=cadre, unit=tree["03127"], text="Đã đọc", read_at=timezone.now())
    Notification.objects.create(user=tree.user("himlam.chair"), unit=tree["03127"], text="Của người khác")
    links = nav_links(get(client, tree, "himlam.cadre", "/u/03127/reviews/2025/"))
    assert links["Thông báo 2 chưa đọc"] == "/u/03127/reviews/notifications/"


@pytest.mark.parametrize("url, current", [
    ("/u/03127/reviews/2025/", "Báo cáo năm"),
    ("/u/03127/reviews/2025/dashboard/", "Tổng hợp"),
    ("/u/03127/reviews/2025/documents/", "Báo cáo định kỳ"),
    ("/u/03127/reviews/2025/comments/", "Lấy ý kiến góp ý"),
    ("/u/03127/reviews/notifications/", "Thông báo"),
])
def test_the_page_shown_is_marked_current(client, tree, url, current):
    html = get(client, tree, "himlam.cadre", url)
    marked = re.findall(r'<a href="[^"]+" aria-current="page">([^<]+)', html)
    assert [text.strip() for text in marked] == [current]
