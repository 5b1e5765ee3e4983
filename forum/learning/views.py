"""Experience details, adaptations and follow-ups: thin views over the learning services."""
from flask import abort, g, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import permissions
from ..extensions import db
from ..models import Adaptation, Followup
from ..threads.forms import ConfirmForm
from ..threads.views import thread_url
from ..web.access import thread_or_404
from ..web.cache import remember
from ..web.forms import submit
from . import adaptations, bp, consolidated, evidence, experiences, followups
from .forms import AdaptationForm, ExperienceForm, OutcomeForm


def _experience_url(thread) -> str:
    return thread_url(thread) + "#experience"


@bp.app_template_global()
def thread_evidence(thread) -> evidence.Evidence:
    """The thread's outcome and adaptation evidence for the current user (memoised per request)."""
    memo = g.setdefault("_evidence", {})
    if thread.id not in memo:
        memo[thread.id] = evidence.evidence_for(current_user, thread)
    return memo[thread.id]


@bp.app_template_global()
def prefetch_evidence(threads) -> str:
    """Fetch the evidence of a list of threads in one go for thread_evidence (returns '')."""
    memo = g.setdefault("_evidence", {})
    missing = [t.id for t in threads if t.id not in memo]
    if missing:
        found = evidence.thread_evidence(current_user, missing)
        memo.update({tid: found.get(tid, evidence.Evidence()) for tid in missing})
    return ""


@bp.app_template_global()
def evidence_map(threads) -> dict:
    """Evidence for a page of threads in two queries, as the current user may see it."""
    return evidence.thread_evidence(current_user, [t.id for t in threads])


@bp.app_template_global()
def visible_themes() -> list[str]:
    """Experience themes the current user may see, for the filter lists (kept briefly)."""
    return remember("themes", current_user, lambda: experiences.themes(current_user))


@bp.app_template_global()
def pending_followup_count() -> int:
    """How many "did it work?" questions wait for the current user."""
    return followups.pending_count(current_user)


@bp.app_context_processor
def _learning_rules():
    return {"can_edit_experience": experiences.can_edit_experience,
            "can_adapt": adaptations.can_adapt, "can_change_adaptation": adaptations.can_change,
            "own_adaptation": adaptations.own_adaptation,
            "thread_adaptations": adaptations.adaptations_of,
            "can_consolidate": consolidated.can_consolidate}


@bp.route("/threads/<int:thread_id>/experience", methods=["GET", "POST"])
@login_required
def experience(thread_id):
    """The author or a moderator adds or edits an experience's details."""
    thread = thread_or_404(thread_id)
    if thread.kind != "experience":
        abort(404)
    if not experiences.can_edit_experience(current_user, thread):
        abort(403)
    form = ExperienceForm(obj=thread.experience)
    if request.method == "GET":
        form.country.data, form.outcome.data = thread.country, form.outcome.data or ""
    done = submit(form, lambda: experiences.save_experience(current_user, thread, **form.values()),
                  "The experience's details are saved.", lambda: _experience_url(thread))
    return done or render_template("learning/experience_form.html", form=form, thread=thread)


@bp.route("/threads/<int:thread_id>/experience/history")
def experience_history(thread_id):
    """Every saved version of an experience's details: who, when, what."""
    thread = thread_or_404(thread_id)
    if thread.experience is None:
        abort(404)
    return render_template("learning/experience_history.html", thread=thread,
                           details=thread.experience, fields=experiences.FIELDS)


def _answer_choices(thread) -> list[SelectChoice]:
    """The thread as a whole, or one of its visible replies (accepted answer first)."""
    choices = [SelectChoice(0, "The practice in this thread as a whole")]
    for post in thread.posts:
        if post.is_opening or post.is_deleted or post.is_hidden:
            continue
        label = "the accepted answer" if post.id == thread.accepted_post_id else "the answer"
        choices.append(SelectChoice(post.id, f"{label[0].upper()}{label[1:]} by {post.author.name}"))
    return sorted(choices, key=lambda c: (c.value != 0, c.value != thread.accepted_post_id))


@bp.route("/threads/<int:thread_id>/adapt", methods=["GET", "POST"])
@login_required
def adapt(thread_id):
    """Record that your team adapted this thread's practice (or edit your record)."""
    thread = thread_or_404(thread_id)
    if not adaptations.can_adapt(current_user, thread):
        abort(403)
    own = adaptations.own_adaptation(current_user, thread)
    form = AdaptationForm(obj=own)
    form.post_id.choices = _answer_choices(thread)
    if request.method == "GET":
        form.post_id.data = (own.post_id if own else request.args.get("post", 0, type=int)) or 0
        form.outcome.data = (own.outcome if own else "") or ""
        if own is None:
            form.country.data = current_user.country
            form.team.data = current_user.organisation
    done = submit(form, lambda: adaptations.record_adaptation(
        current_user, thread, country=form.country.data, team=form.team.data,
        changes=form.changes.data, adapted_on=form.adapted_on.data, outcome=form.outcome.data,
        post_id=form.post_id.data), "Your team's adaptation is recorded. Thank you!",
        lambda: thread_url(thread) + "#adaptations")
    return done or render_template("learning/adapt_form.html", form=form, thread=thread, own=own)


def _adaptation_or_404(adaptation_id: int) -> Adaptation:
    adaptation = db.get_or_404(Adaptation, adaptation_id)
    thread_or_404(adaptation.thread_id)
    return adaptation


@bp.route("/adaptations/<int:adaptation_id>/outcome", methods=["POST"])
@login_required
def adaptation_outcome(adaptation_id):
    """The adapter reports how it went, in one click."""
    adaptation = _adaptation_or_404(adaptation_id)
    form = OutcomeForm()
    return submit(
        form,
        lambda: adaptations.set_outcome(current_user, adaptation, form.outcome.data),
        "Thank you: the outcome is recorded.",
        thread_url(adaptation.thread) + "#adaptations",
        buttons=True,
    )


@bp.route("/adaptations/<int:adaptation_id>/delete", methods=["POST"])
@login_required
def adaptation_delete(adaptation_id):
    """Withdraw your adaptation (moderators may remove any)."""
    adaptation = _adaptation_or_404(adaptation_id)
    back = thread_url(adaptation.thread) + "#adaptations"
    return submit(
        ConfirmForm(),
        lambda: adaptations.remove_adaptation(current_user, adaptation),
        "The adaptation is removed.",
        back,
        buttons=True,
    )


@bp.route("/followups")
@login_required
def followups_page():
    """'Did it work?': the follow-up questions waiting for you, answered in one click."""
    pending = followups.pending_followups(current_user)
    return render_template(
        "learning/followups.html",
        pending=pending,
        subject_of=followups.subject_of,
        form=OutcomeForm(),
    )


@bp.route("/followups/<int:followup_id>", methods=["POST"])
@login_required
def followup_answer(followup_id):
    """Answer a follow-up: the outcome updates the adaptation (or your own record)."""
    followup = db.get_or_404(Followup, followup_id)
    if followup.user_id != current_user.id or not permissions.can_view_thread(
        current_user, followup.thread
    ):
        abort(404)  # someone else's question answers like a missing one
    form = OutcomeForm()
    back = request.form.get("back") == "thread" and thread_url(followup.thread) + "#adaptations"
    return submit(
        form,
        lambda: followups.answer_followup(current_user, followup, form.outcome.data),
        "Thank you: the outcome is recorded.",
        back or url_for("learning.followups_page"),
        buttons=True,
    )
