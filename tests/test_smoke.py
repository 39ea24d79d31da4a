def test_login_page_renders_in_vietnamese_by_default(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert 'lang="vi"' in response.get_data(as_text=True)


def test_factories_build_a_ward_with_its_lists(ward, make_user, make_person, make_conference):
    assert len(ward.procedure_areas) == 26
    assert len(ward.delegate_categories) == 15
    assert make_user().ward_id == ward.id
    assert make_person().ward_id == ward.id
    assert make_conference().ward_id == ward.id
