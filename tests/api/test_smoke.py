from django.urls import reverse


def test_admin_lists_people_by_token(api_admin, admin_user):
    response = api_admin.get(reverse("api:person-list"))
    assert response.status_code == 200, response.content
    assert [p["email"] for p in response.json()["results"]] == ["admin@example.com"]
