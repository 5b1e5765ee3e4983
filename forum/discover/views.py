"""The search page: hybrid results, filters, sort, pages; never an error page."""
from flask import render_template, request
from flask_login import current_user

from ..threads.queries import countries
from ..web.cache import guest_page
from ..web.limits import budget
from ..web.paging import Pager
from . import bp
from .highlight import excerpt, highlight, query_terms
from .services import SORTS, opening_bodies, parse_search_args, run_search


@bp.route("/search")
# Each query runs the embedding model; per member when logged in (an office shares one IP).
@budget("search_page", methods=("GET",))
@guest_page
def search():
    """Search threads by meaning and keyword, as the current user may see them."""
    req = parse_search_args(request.args, current_user)
    outcome = run_search(current_user, req)
    terms = query_terms(req.q)
    bodies = opening_bodies([hit.thread.id for hit in outcome.hits])
    snippets = {tid: highlight(excerpt(body, terms), terms) for tid, body in bodies.items()}
    return render_template("discover/search.html", req=req, outcome=outcome,
                           pager=Pager(req.page, outcome.pages), snippets=snippets, sorts=SORTS,
                           countries=countries(current_user))
