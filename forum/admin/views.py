"""Admin pages: users (role, suspension), groups and categories."""
from datetime import datetime, time

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from wtforms import SelectChoice

from .. import login_sessions
from ..api import tokens
from ..extensions import db
from ..models import Category, Group, Thread, User
from ..threads.forms import ConfirmForm
from ..web.access import admins_only
from ..web.forms import submit
from ..web.paging import page_number
from . import bp, services
from .forms import (
    CategoryForm,
    GroupForm,
    MemberForm,
    ReasonForm,
    RoleForm,
    SuspendForm,
)


@bp.before_request
@login_required
def _admins_only():
    """Every admin page needs a signed-in admin."""
    admins_only()


def _visibility_choices():
    groups = db.session.scalars(select(Group.name).order_by(Group.name))
    return [SelectChoice("public", "Everyone (public)"),
            SelectChoice("members", "Signed-in members")] + [
        SelectChoice(f"group:{name}", f"Group: {name}") for name in groups]


@bp.route("/")
def index():
    """The admin home: users first."""
    return redirect(url_for(".users"))


@bp.route("/users")
def users():
    """Accounts, searchable by name, with their role and suspension."""
    q = request.args.get("q", "").strip()[:64]
    stmt = select(User).where(User.is_placeholder.is_(False)).order_by(User.username)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.username).like(like),
                              func.lower(User.display_name).like(like)))
    page = page_number()
    return render_template("admin/users.html", q=q, pagination=db.paginate(
        stmt, page=page, per_page=50, error_out=False))


def _user_page(user: User, role_form=None, suspend_form=None, status: int = 200):
    role_form = role_form or RoleForm(formdata=None, role=user.role)
    return render_template("admin/user.html", user=user, role_form=role_form,
                           suspend_form=suspend_form or SuspendForm(formdata=None),
                           unsuspend_form=ReasonForm(formdata=None),
                           sign_out_form=ReasonForm(formdata=None),
                           session_count=len(login_sessions.active(user)),
                           token_count=tokens.count_active(user)), status


@bp.route("/users/<int:user_id>")
def user(user_id):
    """One account: change the role, suspend or lift a suspension."""
    return _user_page(db.get_or_404(User, user_id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def user_role(user_id):
    """Change a member's role."""
    target, form = db.get_or_404(User, user_id), RoleForm()
    done = submit(form, lambda: services.change_role(current_user, target, form.role.data,
                                                      form.reason.data),
                   f"{target.username} is now {form.role.data}.", url_for(".user", user_id=user_id))
    return done or _user_page(target, role_form=form, status=400)


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
def user_suspend(user_id):
    """Suspend a member until the end of a day, with a reason."""
    target, form = db.get_or_404(User, user_id), SuspendForm()
    until = datetime.combine(form.until.data, time(23, 59, 59)) if form.until.data else None
    done = submit(form, lambda: services.suspend(current_user, target, until, form.reason.data),
                   f"{target.username} is suspended.", url_for(".user", user_id=user_id))
    return done or _user_page(target, suspend_form=form, status=400)


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
def user_unsuspend(user_id):
    """Lift a member's suspension."""
    target, form = db.get_or_404(User, user_id), ReasonForm()
    return submit(
        form,
        lambda: services.unsuspend(current_user, target, form.reason.data),
        f"{target.username} may post again.",
        url_for(".user", user_id=user_id),
        buttons=True,
    )


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
def user_sign_out(user_id):
    """End every session of a member and revoke their API tokens."""
    target, form = db.get_or_404(User, user_id), ReasonForm()
    return submit(
        form,
        lambda: services.sign_out_everywhere(current_user, target, form.reason.data),
        f"{target.username} is signed out everywhere; their API tokens are revoked.",
        url_for(".user", user_id=user_id),
        buttons=True,
    )


@bp.route("/groups", methods=["GET", "POST"])
def groups():
    """Groups, and a form to create one."""
    form = GroupForm()
    done = submit(
        form,
        lambda: services.new_group(current_user, form.name.data, form.description.data or ""),
        "The group is created.",
        url_for(".groups"),
    )
    rows = db.session.scalars(select(Group).order_by(Group.name)).all()
    return done or (
        render_template("admin/groups.html", groups=rows, form=form),
        400 if form.errors else 200,
    )


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
def group(group_id):
    """A group's members; add one by username."""
    g, form = db.get_or_404(Group, group_id), MemberForm()
    done = submit(
        form,
        lambda: services.add_member(current_user, g, form.username.data),
        f"{(form.username.data or '').strip()} is added.",
        url_for(".group", group_id=group_id),
    )
    categories = db.session.scalars(select(Category).where(Category.group_id == g.id)).all()
    return done or (
        render_template("admin/group.html", group=g, form=form, categories=categories),
        400 if form.errors else 200,
    )


@bp.route("/groups/<int:group_id>/members/<int:user_id>/remove", methods=["POST"])
def group_remove(group_id, user_id):
    """Take a member out of a group."""
    g, target = db.get_or_404(Group, group_id), db.get_or_404(User, user_id)
    return submit(
        ConfirmForm(),
        lambda: services.remove_member(current_user, g, target),
        f"{target.username} is removed.",
        url_for(".group", group_id=group_id),
        buttons=True,
    )


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    """Categories with their visibility, and a form to create one."""
    form = CategoryForm()
    form.visibility.choices = _visibility_choices()
    done = submit(
        form,
        lambda: services.new_category(
            current_user, form.name.data, form.visibility.data, form.description.data or ""
        ),
        "The category is created.",
        url_for(".categories"),
    )
    rows = db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    counts = dict(
        db.session.execute(
            select(Thread.category_id, func.count(Thread.id)).group_by(Thread.category_id)
        ).all()
    )
    return done or (
        render_template("admin/categories.html", categories=rows, form=form, counts=counts),
        400 if form.errors else 200,
    )


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category(category_id):
    """Edit a category's description and visibility; its threads follow at once."""
    cat = db.get_or_404(Category, category_id)
    current = (
        f"group:{cat.group.name}" if cat.visibility == "group" and cat.group else cat.visibility
    )
    form = CategoryForm(obj=cat)
    del form.name
    form.visibility.choices = _visibility_choices()
    if request.method == "GET":
        form.visibility.data = current
    done = submit(
        form,
        lambda: services.edit_category(
            current_user, cat, form.description.data or "", form.visibility.data
        ),
        "The category is saved.",
        url_for(".category", category_id=category_id),
    )
    return done or (
        render_template("admin/category.html", category=cat, form=form),
        400 if form.errors else 200,
    )
