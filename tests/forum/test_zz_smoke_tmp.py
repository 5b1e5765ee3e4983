from tests.factories import make_user, make_category, make_thread, make_reply

def test_smoke(app, client, auth):
    with app.app_context():
        mod = make_user("root", role="admin")
        a = make_user("amina"); b = make_user("bob")
        cat = make_category("Pooled funding")
        t = make_thread(a, cat); r = make_reply(b, t)
        tid, rid = t.id, r.id
    auth.login("root")
    for url in [f"/threads/{tid}", f"/moderation/threads/{tid}", "/admin/users", "/admin/users/2", "/admin/groups", "/admin/categories", "/admin/categories/1"]:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.data[:3000])
    html = client.get(f"/threads/{tid}").get_data(as_text=True)
    print(html[html.index('<main'):])
