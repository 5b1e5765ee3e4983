"""Who knows what: the member directory and country pages."""
from flask import abort, current_app, render_template, request
from flask_login import current_user

from ..extensions import limiter
from ..web.paging import page_number
from . import bp, services

QUERY_MAX = 300


def _arg(name: str, limit: int = services.FIELD_MAX) -> str:
    # NUL bytes are never meaningful and PostgreSQL rejects them.
    return request.args.get(name, "").replace("\x00", "").strip()[:limit]


@bp.app_template_global()
def member_record(user):
    """What the member asked, shared and adapted, as the current user may see it."""
    return services.member_record(current_user, user)


@bp.route("/members")
# A query runs the embedding model, like the search page.
@limiter.limit("120 per minute")
def directory():
    """Members by expertise, country and organisation, or ranked by meaning for a question."""
    q = _arg("q", QUERY_MAX)
    fields = {k: _arg(k) for k in ("country", "organisation", "expertise")}
    page = page_number()
    if q:
        cards, pagination = services.rank_members(current_user, q, **fields), None
    else:
        pagination, cards = services.members_page(
            current_user, page, current_app.config["THREADS_PER_PAGE"], **fields)
    return render_template("members/directory.html", q=q, fields=fields, cards=cards,
                           pagination=pagination,
                           page_args={k: v for k, v in fields.items() if v})


@bp.route("/countries")
def countries():
    """Every country with threads or adaptations the current user may see."""
    return render_template("members/countries.html", countries=services.countries(current_user))


@bp.route("/countries/<name>")
def country(name):
    """What teams from a country asked, shared and adapted."""
    record = services.country_record(current_user, name)
    if record is None:
        # Security: a country whose only threads are restricted answers like an unknown one.
        abort(404)
    return render_template("members/country.html", name=name.strip()[:100], record=record)
